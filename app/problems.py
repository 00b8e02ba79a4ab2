"""RFC 7807 problem details: every error this API answers goes through here."""

from http import HTTPStatus
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from actors.outcome import Refused
from app.auth.errors import AuthError, EmailTaken, Forbidden, NotAuthenticated, WeakPassword
from app.perimeter.rate_limits import RateLimited
from domain.errors import DomainError

PROBLEM_JSON = "application/problem+json"

# The one place domain refusals become HTTP statuses; anything unnamed is a conflict.
STATUS_OF_REFUSAL = {"NotFound": 404, "InvalidOrder": 422}
DEFAULT_REFUSAL_STATUS = 409
STATUS_OF_AUTH_ERROR: dict[type[AuthError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    EmailTaken: 409,
    WeakPassword: 422,
}


def problem(status: int, detail: str | None = None, **extensions: Any) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        body["detail"] = detail
    body.update(extensions)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem(422, "The request is not valid.", errors=errors)


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


async def _sidecar_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The sidecar did not answer in time or at all (restarting, or no placement table)."""
    response = problem(503, f"A dependency did not answer: {type(exc).__name__}.")
    response.headers["Retry-After"] = "2"
    return response


def install_problem_handlers(app: FastAPI, *, domain: bool = True) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(TimeoutError, _sidecar_unavailable)
    app.add_exception_handler(httpx.TimeoutException, _sidecar_unavailable)
    app.add_exception_handler(httpx.TransportError, _sidecar_unavailable)
    if domain:
        app.add_exception_handler(Refused, _refused)
        app.add_exception_handler(DomainError, _refused)
        app.add_exception_handler(AuthError, _auth_error)


def documented_problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error answers, so clients (and schemathesis) know their shape."""
    schema = {
        "type": "object",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
        },
    }
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        for status in statuses
    }
