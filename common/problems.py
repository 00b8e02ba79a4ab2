"""RFC 7807 problem details: the shape of every error answer, and the handlers both apps share
(HTTP errors, invalid requests, a sidecar that did not answer or failed a call). Each app adds
its own."""

from http import HTTPStatus
from typing import Any

import grpc
import httpx
from dapr.clients.exceptions import DaprInternalError
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
# How long a client should wait before trying again after a dependency did not answer.
RETRY_AFTER_SECONDS = 2
# What the sidecar's gRPC API answers when a component failed (a store refused a write, a
# workflow read met a save half-way) or the sidecar could not serve the call just now.
TRANSIENT_GRPC_CODES = {
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ABORTED,
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


def unavailable(detail: str) -> JSONResponse:
    """503 with Retry-After: the request can be tried again as it is."""
    response = problem(503, detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


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


async def _sidecar_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    """The sidecar did not answer in time or at all (restarting, or no placement table)."""
    return unavailable(f"A dependency did not answer: {type(exc).__name__}.")


async def _sidecar_failed(_request: Request, exc: Exception) -> JSONResponse:
    return sidecar_failure(exc)


def sidecar_failure(exc: Exception) -> JSONResponse:
    """A gRPC call to the sidecar failed (the SDK raises the RpcError, or wraps it): 503 with
    Retry-After when it may pass, else 500. Also for middleware, which the handlers miss."""
    cause = exc if isinstance(exc, grpc.RpcError) else exc.__cause__
    code = getattr(cause, "code", None)
    status = code() if callable(code) else None
    if status in TRANSIENT_GRPC_CODES:
        return unavailable(f"A dependency failed the call: {status.name}.")
    return problem(500, "A dependency refused the call.")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(TimeoutError, _sidecar_unavailable)
    app.add_exception_handler(httpx.TimeoutException, _sidecar_unavailable)
    app.add_exception_handler(httpx.TransportError, _sidecar_unavailable)
    app.add_exception_handler(grpc.RpcError, _sidecar_failed)
    app.add_exception_handler(DaprInternalError, _sidecar_failed)


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
