"""What each route needs, named once: the caller and their role, the actors, the sagas, the
read models, and how often the caller may ask. Each is the request's tenant's (app/tenancy.py).

Every dependency is `async def`: FastAPI runs a plain `def` one in a worker thread, which
costs more than the dependency itself."""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from actors.clients import InventoryActors, OrderActors
from app.auth.errors import Forbidden, NotAuthenticated
from app.auth.service import ADMIN, CUSTOMER, Authenticator, Principal
from app.checkout import Sagas
from app.flags import FlagValues
from app.images import ItemImages
from app.read_models import ReadModels
from app.services import Services
from app.settings import AppSettings
from app.tenancy import HEADER, Tenants, services_of
from common.tenancy import TENANT_PATTERN

__all__ = ["AdminUser", "CurrentUser", "CustomerUser", "Principal"]
T = TypeVar("T")


async def get_services(request: Request) -> Services:
    return services_of(request.scope)


async def get_tenants(request: Request) -> Tenants:
    tenants: Tenants = request.app.state.tenants
    return tenants


def _service(pick: Callable[[Services], T]) -> Callable[[Request], Awaitable[T]]:
    async def dependency(request: Request) -> T:
        return pick(services_of(request.scope))

    return dependency


ServicesDep = Annotated[Services, Depends(get_services)]
# Every tenant's services, for the sidecar's callbacks that find the tenant in what they get.
TenantsDep = Annotated[Tenants, Depends(get_tenants)]
SettingsDep = Annotated[AppSettings, Depends(_service(lambda s: s.settings))]
AuthDep = Annotated[Authenticator, Depends(_service(lambda s: s.auth))]
InventoryDep = Annotated[InventoryActors, Depends(_service(lambda s: s.inventory))]
OrdersDep = Annotated[OrderActors, Depends(_service(lambda s: s.orders))]
SagasDep = Annotated[Sagas, Depends(_service(lambda s: s.sagas))]
ReadModelsDep = Annotated[ReadModels, Depends(_service(lambda s: s.read_models))]
# The feature flags in force when the request arrived (one snapshot for the whole request).
FlagsDep = Annotated[FlagValues, Depends(_service(lambda s: s.flags.values))]
ImagesDep = Annotated[ItemImages, Depends(_service(lambda s: s.images))]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
BearerToken = Annotated[str | None, Depends(_bearer)]


async def current_user(auth: AuthDep, token: BearerToken) -> Principal:
    if token is None:
        raise NotAuthenticated("a bearer token is required")
    return await auth.principal(token)


def _role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def require(user: Annotated[Principal, Depends(current_user)]) -> Principal:
        if role not in user.roles:
            raise Forbidden(f"the {role} role is required")
        return user

    return require


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(_role(ADMIN))]
CustomerUser = Annotated[Principal, Depends(_role(CUSTOMER))]


async def tenant_header(
    _tenant: Annotated[str, Header(alias=HEADER, pattern=TENANT_PATTERN, max_length=32)],
) -> None:
    """Documents the header in the OpenAPI schema (TENANCY_SOURCE=header); the tenant
    middleware has already resolved and checked it."""


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def general_rate_limit(request: Request, services: ServicesDep) -> None:
    """Per caller: the token's subject when there is one, else the client address."""
    caller = services.auth.subject(request.headers.get("authorization", ""))
    client = client_address(request) if caller == "anonymous" else f"user:{caller}"
    await services.rate_limits.hit(services.rate_limits.general, client)


async def register_rate_limit(request: Request, services: ServicesDep) -> None:
    await services.rate_limits.hit(services.rate_limits.register, client_address(request))
