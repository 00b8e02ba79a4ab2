"""Security headers on every response and a cap on request bodies."""

import re
from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from common.problems import problem

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'",
}
# FastAPI's interactive docs load their script and styles from a CDN.
DOCS_PATHS = ("/docs", "/redoc")


class BodyTooLarge(HTTPException):
    """Raised while the body is read; FastAPI passes HTTP exceptions through its body parsing,
    so the problem handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class EdgeMiddleware:
    """`larger_bodies`: (path pattern, cap) for the few routes that take more, such as
    uploads; every other path gets `max_body_bytes`."""

    def __init__(
        self, app: ASGIApp, max_body_bytes: int, larger_bodies: Sequence[tuple[str, int]] = ()
    ) -> None:
        self.app = app
        self._max_body = max_body_bytes
        self._larger = [(re.compile(pattern), cap) for pattern, cap in larger_bodies]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cap = next((c for p, c in self._larger if p.fullmatch(scope["path"])), self._max_body)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            await self._too_large(cap, scope, receive, send)
            return
        with_csp = not scope["path"].startswith(DOCS_PATHS)
        started = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap:
                    raise BodyTooLarge(cap)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if with_csp or name != "Content-Security-Policy":
                        headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await self._too_large(cap, scope, receive, send_with_headers)

    async def _too_large(self, cap: int, scope: Scope, receive: Receive, send: Send) -> None:
        await problem(413, BodyTooLarge(cap).detail)(scope, receive, send)
