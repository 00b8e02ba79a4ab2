"""Clients of the running apps, built in one place so every test calls them the same way:
the orders API as a signed-in user, sidecars and payments with the tokens they expect."""

import uuid

import httpx

from devstack.clients import SignedIn, admin_credentials, as_admin
from devstack.stack import RunningApp

__all__ = ["SignedIn", "admin_credentials"]


def orders_client(orders: RunningApp, auth: httpx.Auth | None = None) -> httpx.Client:
    """The orders API as the tests' administrator (or as `auth` says)."""
    return httpx.Client(base_url=orders.url, timeout=30.0, auth=auth or as_admin(orders))


def orders_async_client(orders: RunningApp, timeout: float = 30.0) -> httpx.AsyncClient:
    """The orders API as the tests' administrator, for concurrent callers."""
    return httpx.AsyncClient(base_url=orders.url, timeout=timeout, auth=as_admin(orders))


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
