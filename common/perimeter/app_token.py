"""The token daprd presents on every call it makes into the app (`dapr-api-token`).

Routes only a sidecar calls (actors, subscriptions, bindings, callbacks) refuse a request
without the right token when one is configured; the public API has its own bearer tokens.
"""

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from common.problems import problem

TOKEN_HEADER = b"dapr-api-token"
SIDECAR_PATHS = ("/actors/", "/dapr/", "/events/", "/internal/", "/job/", "/healthz")


def is_sidecar_path(path: str) -> bool:
    return path.startswith(SIDECAR_PATHS)


class AppTokenMiddleware:
    def __init__(self, app: ASGIApp, token: str | None, paths: tuple[str, ...] = SIDECAR_PATHS):
        self.app = app
        self._token = token.encode() if token else None
        self._paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self._token is None
            or scope["type"] != "http"
            or not scope["path"].startswith(self._paths)
        ):
            await self.app(scope, receive, send)
            return
        presented = dict(scope["headers"]).get(TOKEN_HEADER, b"")
        if not hmac.compare_digest(presented, self._token):
            response = problem(401, "This route is for the Dapr sidecar: dapr-api-token required.")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
