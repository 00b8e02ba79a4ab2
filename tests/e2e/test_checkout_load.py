"""Many sagas at once, and sagas that survive their app being killed mid-way."""

import asyncio
from typing import Any

import httpx

from devstack.stack import RunningApp
from tests.support.api import orders_async_client
from tests.support.catalog import new_item
from tests.support.checkout import charge_status, final_order, stock


async def place_all(orders: RunningApp, sku: str, count: int, token: str = "tok_ok") -> list[str]:
    """Places `count` one-unit orders concurrently; each retries with its own Idempotency-Key
    until accepted, so a crash mid-request never loses or doubles an order."""
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": token}
    async with orders_async_client(orders) as client:

        async def place(n: int) -> str:
            key = f"{sku}-{n}"
            while True:
                try:
                    response = await client.post(
                        "/api/v1/orders", json=body, headers={"Idempotency-Key": key}
                    )
                    if response.status_code == 202:
                        order_id: str = response.json()["id"]
                        return order_id
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

        return await asyncio.gather(*(place(n) for n in range(count)))


def check_consistency(
    api: httpx.Client, payments_api: httpx.Client, sku: str, order_ids: list[str], initial: int
) -> dict[str, Any]:
    orders = [final_order(api, order_id, timeout=180.0) for order_id in order_ids]
    confirmed = [o for o in orders if o["status"] == "confirmed"]
    charges = {o["id"]: charge_status(payments_api, o["id"]) for o in orders}
    available, reserved = stock(api, sku)

    assert len(set(order_ids)) == len(order_ids), "one order per Idempotency-Key"
    assert len(confirmed) + available == initial
    assert reserved == 0
    for order in orders:
        captured = charges[order["id"]] == "captured"
        assert captured == (order["status"] == "confirmed"), (order, charges[order["id"]])
    return {
        "orders": orders,
        "confirmed": len(confirmed),
        "reasons": sorted({o["status_reason"] for o in orders if o["status"] == "cancelled"}),
    }


def test_100_checkouts_on_10_units_confirm_exactly_10(
    orders_api: httpx.Client, payments_api: httpx.Client, orders: RunningApp
) -> None:
    sku = new_item(orders_api, stock=10)["sku"]

    order_ids = asyncio.run(place_all(orders, sku, 100))
    outcome = check_consistency(orders_api, payments_api, sku, order_ids, initial=10)

    assert (outcome["confirmed"], outcome["reasons"]) == (10, ["out_of_stock"])
    assert stock(orders_api, sku) == (0, 0)
