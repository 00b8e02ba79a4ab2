"""The one place where the `orders` service's own errors become problem documents: domain
refusals, authentication and rate limits (the shared ones are in common.problems)."""

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from actors.outcome import Refused
from app.auth.errors import AuthError, EmailTaken, Forbidden, NotAuthenticated, WeakPassword
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
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(DomainError, _refused)
    app.add_exception_handler(AuthError, _auth_error)
    app.add_exception_handler(ImageRefused, _image_refused)
    app.add_exception_handler(BlobStoreError, _blob_store_error)
