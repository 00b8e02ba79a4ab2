"""Signing in to a running stack's orders API, for the tests and the benchmarks."""

import json
from collections.abc import AsyncIterator, Generator
from contextlib import asynccontextmanager

import httpx
from dapr.aio.clients import DaprClient
from dapr.conf import settings

from devstack.stack import RunningApp

TOKEN_PATH = "/api/v1/auth/token"
# Shared by every client of one process, so a run signs each user in once.
_tokens: dict[tuple[str, ...], str] = {}


class SignedIn(httpx.Auth):
    """Bearer auth that signs in on first use and again when the token stops working."""

    # httpx reads each response before the flow sees it, for sync and async clients alike.
    requires_response_body = True

    def __init__(
        self, base_url: str, email: str, password: str, headers: dict[str, str] | None = None
    ) -> None:
        self.email, self.password = email, password
        # What signing in needs besides the form (a tenant's header).
        self._headers = headers or {}
        self._cache_key = (base_url, email, *sorted(self._headers.values()))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._cache_key not in _tokens:
            yield from self._sign_in(request)
        request.headers["Authorization"] = f"Bearer {_tokens.get(self._cache_key, '')}"
        response = yield request
        if response.status_code == 401:
            yield from self._sign_in(request)
            request.headers["Authorization"] = f"Bearer {_tokens.get(self._cache_key, '')}"
            yield request

    def _sign_in(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        form = {"username": self.email, "password": self.password}
        url = request.url.join(TOKEN_PATH)
        response = yield httpx.Request("POST", url, data=form, headers=self._headers)
        if response.status_code != 200:
            raise RuntimeError(f"signing in as {self.email} failed: {response.text}")
        _tokens[self._cache_key] = response.json()["access_token"]


def admin_credentials(orders: RunningApp) -> tuple[str, str]:
    """The bootstrap administrator, as the local secret store holds it."""
    secrets = json.loads(orders.secrets_file.read_text())
    return secrets["admin-email"], secrets["admin-password"]


def tenant_admin_credentials(orders: RunningApp, tenant: str) -> tuple[str, str]:
    """A tenant's administrator, as `tenant-admins` in the local secret store holds it."""
    admins = json.loads(json.loads(orders.secrets_file.read_text())["tenant-admins"])
    return admins[tenant]["email"], admins[tenant]["password"]


def as_admin(orders: RunningApp) -> SignedIn:
    return SignedIn(orders.url, *admin_credentials(orders))


@asynccontextmanager
async def dapr_client(app: RunningApp) -> AsyncIterator[DaprClient]:
    """The SDK's gRPC client on the app's own sidecar, with the token the sidecar wants. The
    SDK reads the sidecar's HTTP port and token from its settings (for its start-up check)."""
    setattr(settings, "DAPR_HTTP_PORT", app.spec.http_port)  # noqa: B010 (untyped settings)
    setattr(settings, "DAPR_API_TOKEN", app.tokens.get("DAPR_API_TOKEN"))  # noqa: B010
    async with DaprClient(f"127.0.0.1:{app.spec.grpc_port}") as dapr:
        yield dapr
