"""Clients of the running apps, built in one place so every test calls them the same way."""

import httpx

from devstack.stack import RunningApp


def orders_client(orders: RunningApp) -> httpx.Client:
    """The orders API as the tests' administrator."""
    return httpx.Client(base_url=orders.url, timeout=30.0)


def orders_async_client(orders: RunningApp, timeout: float = 30.0) -> httpx.AsyncClient:
    """The orders API as the tests' administrator, for concurrent callers."""
    return httpx.AsyncClient(base_url=orders.url, timeout=timeout)
