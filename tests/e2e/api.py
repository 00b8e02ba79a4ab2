"""Clients of the running apps, built in one place so every test calls them the same way:
the orders API as a signed-in user, sidecars and payments with the tokens they expect."""

import json
import uuid
from collections.abc import Generator

import httpx

from devstack.stack import RunningApp

TOKEN_PATH = "/api/v1/auth/token"
# Shared by every client of one process, so a test session signs each user in once.
_tokens: dict[tuple[str, str], str] = {}


class SignedIn(httpx.Auth):
    """Bearer auth that signs in on first use and again when the token stops working."""

    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.email, self.password = email, password
        self._cache_key = (base_url, email)

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
        response = yield httpx.Request("POST", request.url.join(TOKEN_PATH), data=form)
        response.read()
        assert response.status_code == 200, response.text
        _tokens[self._cache_key] = response.json()["access_token"]


def admin_credentials(orders: RunningApp) -> tuple[str, str]:
    """The bootstrap administrator, as the local secret store holds it."""
    secrets = json.loads(orders.secrets_file.read_text())
    return secrets["admin-email"], secrets["admin-password"]


def orders_client(orders: RunningApp, auth: httpx.Auth | None = None) -> httpx.Client:
    """The orders API as the tests' administrator (or as `auth` says)."""
    return httpx.Client(base_url=orders.url, timeout=30.0, auth=auth or _admin(orders))


def orders_async_client(orders: RunningApp, timeout: float = 30.0) -> httpx.AsyncClient:
    """The orders API as the tests' administrator, for concurrent callers."""
    return httpx.AsyncClient(base_url=orders.url, timeout=timeout, auth=_admin(orders))


def anonymous_client(orders: RunningApp) -> httpx.Client:
    return httpx.Client(base_url=orders.url, timeout=30.0)


def new_customer(orders: RunningApp) -> httpx.Client:
    """Registers a fresh customer and returns the orders API signed in as them."""
    email, password = f"c-{uuid.uuid4().hex[:12]}@example.com", "correct horse battery"
    with anonymous_client(orders) as anonymous:
        body = {"email": email, "password": password, "name": "A customer"}
        response = anonymous.post("/api/v1/auth/register", json=body)
        assert response.status_code == 201, response.text
    return orders_client(orders, SignedIn(orders.url, email, password))


def sidecar_client(app: RunningApp) -> httpx.Client:
    """The app's own sidecar API, with the token it wants (`dapr-api-token`)."""
    return httpx.Client(base_url=app.dapr_url, timeout=30.0, headers=app.sidecar_headers)


def sidecar_async_client(app: RunningApp, timeout: float = 30.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=app.dapr_url, timeout=timeout, headers=app.sidecar_headers)


def payments_client(payments: RunningApp) -> httpx.Client:
    """payments straight, as its sidecar calls it (tests read and confirm charges this way)."""
    return httpx.Client(base_url=payments.url, timeout=30.0, headers=payments.app_headers)


def _admin(orders: RunningApp) -> SignedIn:
    return SignedIn(orders.url, *admin_credentials(orders))
