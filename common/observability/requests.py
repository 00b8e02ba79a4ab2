"""Per request: an id (the caller's X-Request-ID or a new one) bound to every log line and
echoed back, the actor or event the sidecar is calling about, one access line, and the HTTP
metrics by route template."""

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.observability.metrics import HTTP_DURATION, HTTP_REQUESTS

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[\w.:-]{1,128}$")
# What a sidecar call is about, for the log lines of the actor method it runs.
_ACTOR_PATH = re.compile(r"^/actors/(?P<type>[^/]+)/(?P<id>[^/]+)")
_ACTOR_ID_FIELD = {"Inventory": "sku", "Order": "order_id"}
_QUIET_PATHS = ("/health/", "/metrics")

log = structlog.get_logger("app.requests")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode()
        request_id = given if _VALID_REQUEST_ID.match(given) else uuid.uuid4().hex
        path: str = scope["path"]
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, **_subject(path))
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_DURATION.labels(scope["method"], route).observe(elapsed)
            if not path.startswith(_QUIET_PATHS):
                log.info(
                    "request",
                    method=scope["method"],
                    path=path,
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )


def _subject(path: str) -> dict[str, str]:
    match = _ACTOR_PATH.match(path)
    if match is None:
        return {}
    field = _ACTOR_ID_FIELD.get(match["type"], "actor_id")
    return {"actor": match["type"], field: match["id"]}


def _route_template(scope: Scope) -> str:
    """The matched route's template keeps the label set small; unmatched paths share one.

    FastAPI 0.16x keeps included routers' routes with their own prefix only (`/orders`);
    the full template (`/api/v1/orders`) is on the route context it records in the scope.
    """
    included = scope.get("fastapi", {}).get("effective_route_context")
    if included is not None:
        return str(included.path_format)
    return str(getattr(scope.get("route"), "path", "unmatched"))
