"""Listing orders from the orders read model: filters and pages converge on what happened."""

from typing import Any

import httpx

from tests.support.catalog import new_item
from tests.support.checkout import final_order, place
from tests.support.eventually import eventually


def listed(api: httpx.Client, status: str) -> set[str]:
    seen: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"status": status, "limit": 50}
        page = api.get("/api/v1/orders", params=params | ({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        body = page.json()
        assert all(order["status"] == status for order in body["items"])
        seen |= {order["id"] for order in body["items"]}
        if (cursor := body["next_cursor"]) is None:
            return seen


def test_orders_are_listed_by_status(orders_api: httpx.Client) -> None:
    sku = new_item(orders_api, stock=1)["sku"]
    confirmed = place(orders_api, [(sku, 1)])
    final_order(orders_api, confirmed)
    cancelled = place(orders_api, [(sku, 1)])
    final_order(orders_api, cancelled)

    eventually(
        lambda: (
            (
                confirmed in listed(orders_api, "confirmed")
                and cancelled in listed(orders_api, "cancelled")
            )
            or None
        ),
        what="both orders in the read model under their final status",
    )
    assert confirmed not in listed(orders_api, "cancelled")
    assert orders_api.get("/api/v1/orders", params={"status": "lost"}).status_code == 422
