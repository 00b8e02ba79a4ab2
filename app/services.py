"""What the lifespan builds once and every route and handler shares."""

from dataclasses import dataclass
from typing import Protocol

from actors.clients import InventoryActors, OrderActors
from app.auth.service import Authenticator
from app.checkout import Sagas
from app.flags import Flags
from app.images import ItemImages
from app.perimeter.idempotency import IdempotencyStore
from app.perimeter.rate_limits import RateLimits
from app.read_models import ReadModels
from app.settings import AppSettings
from common.bindings import Notifications


class Readiness(Protocol):
    async def checks(self) -> dict[str, bool]:
        """Each dependency readiness depends on, and whether it is up now."""


@dataclass(frozen=True)
class Services:
    settings: AppSettings
    readiness: Readiness
    inventory: InventoryActors
    orders: OrderActors
    sagas: Sagas
    read_models: ReadModels
    auth: Authenticator
    rate_limits: RateLimits
    idempotency: IdempotencyStore
    notifications: Notifications
    flags: Flags
    images: ItemImages
