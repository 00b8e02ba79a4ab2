"""What the lifespan builds once and every route and handler of one tenant shares, and how
one tenant's services are made from what all tenants share."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from actors.clients import InventoryActors, OrderActors
from app.auth.passwords import Passwords
from app.auth.revocations import Revocations
from app.auth.service import Authenticator
from app.auth.tokens import TokenSigner
from app.auth.users import UserStore
from app.checkout import Sagas, TenantSagas
from app.flags import Flags
from app.images import ItemImages
from app.perimeter.idempotency import IdempotencyStore
from app.perimeter.rate_limits import RateLimits
from app.read_models import ReadModels
from app.settings import AppSettings, OrdersSettings
from common.bindings import Notifications
from common.blobs import Blobs
from common.state import Documents
from common.tenancy import tenant_blobs, tenant_documents, tenant_notifications


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


# A tenant's Inventory and Order actors, by tenant.
ActorsOf = Callable[[str], tuple[InventoryActors, OrderActors]]


@dataclass(frozen=True)
class Shared:
    """What every tenant's services are made of: one sidecar, one state store, one signing
    key, the same flags."""

    settings: OrdersSettings
    readiness: Readiness
    store: Documents
    actors: ActorsOf
    sagas: Sagas
    notifications: Notifications
    blobs: Blobs
    flags: Flags
    signer: TokenSigner
    passwords: Passwords | None = None


def tenant_services(shared: Shared, tenant: str) -> Services:
    """One tenant's services: each reaches only that tenant's keys, actors, sagas and notices
    (common/tenancy.py); the default tenant's are those of a service without tenants."""
    settings = shared.settings
    store = tenant_documents(shared.store, tenant)
    inventory, orders = shared.actors(tenant)
    revocations = Revocations(
        store, settings.auth.refresh_token_seconds, settings.auth.revocation_cache_seconds
    )
    return Services(
        settings=settings.service,
        readiness=shared.readiness,
        inventory=inventory,
        orders=orders,
        sagas=TenantSagas(shared.sagas, tenant),
        read_models=ReadModels(store),
        auth=Authenticator(UserStore(store), revocations, shared.signer, shared.passwords, tenant),
        rate_limits=RateLimits(settings.perimeter, store),
        idempotency=IdempotencyStore(store, settings.perimeter.idempotency_key_seconds),
        notifications=tenant_notifications(shared.notifications, tenant),
        flags=shared.flags,
        images=ItemImages(inventory, tenant_blobs(shared.blobs, tenant)),
    )
