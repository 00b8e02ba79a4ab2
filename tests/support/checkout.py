"""Placing orders and watching their sagas end, for the checkout tests."""

from typing import Any

import httpx

from tests.support.eventually import eventually


def place(
    api: httpx.Client,
    lines: list[tuple[str, int]],
    token: str = "tok_ok",
    key: str | None = None,
) -> str:
    body = {"lines": [{"sku": s, "quantity": q} for s, q in lines], "payment_token": token}
    headers = {"Idempotency-Key": key} if key else {}
    response = api.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    assert response.headers["Location"] == f"/api/v1/orders/{order_id}"
    return order_id


def final_order(api: httpx.Client, order_id: str, timeout: float = 60.0) -> dict[str, Any]:
    def final() -> dict[str, Any] | None:
        response = api.get(f"/api/v1/orders/{order_id}")
        if response.status_code != 200:  # a 503 while a restarted sidecar catches up: retry
            return None
        order: dict[str, Any] = response.json()
        return order if order["status"] != "pending" else None

    return eventually(final, timeout=timeout, what=f"order {order_id} to end")


def saga(api: httpx.Client, order_id: str) -> dict[str, Any]:
    response = api.get(f"/api/v1/orders/{order_id}/saga")
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def finished_saga(api: httpx.Client, order_id: str) -> dict[str, Any]:
    return eventually(
        lambda: (view := saga(api, order_id)) and (view if view["finished"] else None),
        what=f"the saga of {order_id} to finish",
    )


def charge_status(payments_api: httpx.Client, order_id: str) -> str | None:
    response = payments_api.get(f"/charges/ch_{order_id}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (response.status_code, response.text)
    status: str = response.json()["status"]
    return status


def stock(api: httpx.Client, sku: str) -> tuple[int, int]:
    item = api.get(f"/api/v1/items/{sku}").json()
    return item["available"], item["reserved"]
