"""The one place where the `orders` service's own errors become problem documents: domain
refusals, an actor that could not reach its state, authentication and rate limits (the shared
ones are in common.problems)."""

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from actors.outcome import ActorUnavailable, Refused
from app.auth.errors import AuthError, EmailTaken, Forbidden, NotAuthenticated, WeakPassword
from app.flags import TooManyItems
from app.image_types import ImageRefused
from app.perimeter.rate_limits import RateLimited
from app.time_index import InvalidCursor
from common.blobs import BlobStoreError
from common.problems import install_problem_handlers, problem, unavailable
from domain.errors import DomainError

log = structlog.get_logger(__name__)
# Domain refusals by name; anything unnamed is a conflict.
STATUS_OF_REFUSAL = {"NotFound": 404, "InvalidOrder": 422}
DEFAULT_REFUSAL_STATUS = 409
STATUS_OF_AUTH_ERROR: dict[type[AuthError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    EmailTaken: 409,
    WeakPassword: 422,
}


async def _refused(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, Refused):
        error, detail = exc.error, exc.detail
    else:
        error, detail = type(exc).__name__, str(exc)
    return problem(STATUS_OF_REFUSAL.get(error, DEFAULT_REFUSAL_STATUS), detail, error=error)


async def _actor_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """Transient like a sidecar that did not answer: the same request may be sent again."""
    return unavailable(str(exc))


async def _auth_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AuthError)
    status = next(s for kind, s in STATUS_OF_AUTH_ERROR.items() if isinstance(exc, kind))
    response = problem(status, str(exc))
    if status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


async def _rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    response = problem(429, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


async def _too_many_items(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TooManyItems)
    return problem(422, str(exc), error="TooManyItems", max_items_per_order=exc.limit)


async def _invalid_cursor(_request: Request, exc: Exception) -> JSONResponse:
    return problem(422, str(exc))


async def _image_refused(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ImageRefused)
    return problem(exc.status, exc.detail)


async def _blob_store_error(_request: Request, exc: Exception) -> JSONResponse:
    log.warning("the images binding failed", error=str(exc))
    return unavailable("The picture store did not answer.")


def install_orders_problem_handlers(app: FastAPI) -> None:
    install_problem_handlers(app)
    app.add_exception_handler(InvalidCursor, _invalid_cursor)
    app.add_exception_handler(TooManyItems, _too_many_items)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(ActorUnavailable, _actor_unavailable)
    app.add_exception_handler(DomainError, _refused)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(ImageRefused, _image_refused)
    app.add_exception_handler(BlobStoreError, _blob_store_error)
