"""Who is calling, whether their role allows the route, and how often they may: every route
states it here once."""

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from app.auth.errors import Forbidden, NotAuthenticated
from app.auth.service import ADMIN, CUSTOMER, Principal
from app.services import ServicesDep

__all__ = ["AdminUser", "CurrentUser", "CustomerUser", "Principal"]

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
BearerToken = Annotated[str | None, Depends(_bearer)]


async def current_user(services: ServicesDep, token: BearerToken) -> Principal:
    if token is None:
        raise NotAuthenticated("a bearer token is required")
    return await services.auth.principal(token)


def _role(role: str) -> Callable[[Principal], Principal]:
    def require(user: Annotated[Principal, Depends(current_user)]) -> Principal:
        if role not in user.roles:
            raise Forbidden(f"the {role} role is required")
        return user

    return require


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(_role(ADMIN))]
CustomerUser = Annotated[Principal, Depends(_role(CUSTOMER))]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def general_rate_limit(request: Request, services: ServicesDep) -> None:
    """Per caller: the token's subject when there is one, else the client address."""
    caller = services.auth.subject(request.headers.get("authorization", ""))
    client = client_address(request) if caller == "anonymous" else f"user:{caller}"
    await services.rate_limits.hit(services.rate_limits.general, client)


async def register_rate_limit(request: Request, services: ServicesDep) -> None:
    await services.rate_limits.hit(services.rate_limits.register, client_address(request))
