"""Each scenario measures one thing and, in the same run, the baseline it is compared to.

Closed-loop: `concurrency` callers each issue their next call when the previous answers, for
`count` calls in all; that gives saturation throughput and the latency at that load.
"""

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import httpx

from bench.stats import Figures
from devstack.stack import RunningApp

Call = Callable[[httpx.AsyncClient, int], Awaitable[None]]


async def closed_loop(name: str, call: Call, *, count: int, concurrency: int) -> Figures:
    latencies: list[float] = []
    next_index = iter(range(count))
    async with httpx.AsyncClient(timeout=60.0) as client:

        async def caller() -> None:
            for n in next_index:
                started = time.perf_counter()
                await call(client, n)
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        return Figures(name, count, time.perf_counter() - started, latencies)


async def invocation(orders: RunningApp, count: int) -> list[Figures]:
    """B1: a small request straight to uvicorn, and the same through Dapr service invocation."""

    async def direct(client: httpx.AsyncClient, _n: int) -> None:
        (await client.get(f"{orders.url}/health/live")).raise_for_status()

    async def through_sidecar(client: httpx.AsyncClient, _n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/invoke/orders/method/health/live"
        (await client.get(url)).raise_for_status()

    return [
        await closed_loop("B1 baseline: direct to the app", direct, count=count, concurrency=8),
        await closed_loop("B1 service invocation", through_sidecar, count=count, concurrency=8),
    ]


async def actor_reservations(orders: RunningApp, count: int) -> list[Figures]:
    """B2: state save+get through the sidecar, then warm Inventory.Reserve calls (one SKU);
    B3: a call to a new actor id each time."""
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=orders.url, timeout=30.0) as api:
        item = {"sku": sku, "name": "bench", "price_cents": 1, "stock": count * 2}
        (await api.post("/api/v1/items", json=item)).raise_for_status()

    async def save_and_get(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/state/statestore"
        key = f"bench-{n % 64}"
        (await client.post(url, json=[{"key": key, "value": {"n": n}}])).raise_for_status()
        (await client.get(f"{url}/{key}")).raise_for_status()

    async def reserve(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/actors/Inventory/{sku}/method/Reserve"
        response = await client.put(url, json={"order_id": f"bench-{n}", "quantity": 1})
        assert response.json()["ok"], response.text

    async def activate(client: httpx.AsyncClient, n: int) -> None:
        """A new actor id each call: placement lookup, activation and an empty state load."""
        url = f"{orders.dapr_url}/v1.0/actors/Inventory/{sku}-new-{n}/method/Get"
        response = await client.put(url, json=None)
        assert response.json() == {"ok": True, "value": None}, response.text

    baseline = "B2 baseline: state save+get via sidecar"
    return [
        await closed_loop(baseline, save_and_get, count=count, concurrency=8),
        await closed_loop("B2 actor Reserve (one SKU)", reserve, count=count, concurrency=8),
        await closed_loop("B3 actor activation (new id)", activate, count=count, concurrency=8),
    ]


async def checkouts(orders: RunningApp, count: int, in_flight: int) -> list[Figures]:
    """B4: full checkout sagas (tok_ok), `in_flight` at a time; latency from the order's own
    timestamps (placed → confirmed), so polling does not inflate it."""
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=orders.url, timeout=60.0) as api:
        item = {"sku": sku, "name": "bench", "price_cents": 100, "stock": count * 2}
        (await api.post("/api/v1/items", json=item)).raise_for_status()
        body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
        saga_ms: list[float] = []

        async def checkout(client: httpx.AsyncClient, _n: int) -> None:
            placed = await client.post(f"{orders.url}/api/v1/orders", json=body)
            order_id = placed.json()["id"]
            while (order := await _order(client, orders, order_id))["status"] == "pending":
                await asyncio.sleep(0.05)
            assert order["status"] == "confirmed", order
            saga_ms.append(_elapsed_ms(order["history"][0]["at"], order["history"][-1]["at"]))

        run = await closed_loop(
            "B4 checkout (client view)", checkout, count=count, concurrency=in_flight
        )
    return [run, Figures("B4 checkout saga (placed→confirmed)", count, run.seconds, saga_ms)]


async def _order(client: httpx.AsyncClient, orders: RunningApp, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = (await client.get(f"{orders.url}/api/v1/orders/{order_id}")).json()
    return order


def _elapsed_ms(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


async def checkouts_without_workflow(orders: RunningApp, count: int, in_flight: int) -> Figures:
    """B4 baseline: the saga's happy-path calls in sequence, with no workflow around them."""
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    sidecar = orders.dapr_url
    async with httpx.AsyncClient(base_url=orders.url, timeout=60.0) as api:
        item = {"sku": sku, "name": "bench", "price_cents": 100, "stock": count * 2}
        (await api.post("/api/v1/items", json=item)).raise_for_status()

    async def actor(client: httpx.AsyncClient, kind: str, key: str, method: str, body: Any) -> Any:
        url = f"{sidecar}/v1.0/actors/{kind}/{key}/method/{method}"
        outcome = (await client.put(url, json=body)).json()
        assert outcome["ok"], outcome
        return outcome["value"]

    async def sequence(client: httpx.AsyncClient, _n: int) -> None:
        order_id = f"bench-{uuid.uuid4().hex}"
        now = datetime.now().isoformat()
        line = {"sku": sku, "quantity": 1, "unit_price_cents": 100}
        await actor(
            client, "Order", order_id, "Place", {"customer_id": "b", "lines": [line], "at": now}
        )
        await actor(client, "Inventory", sku, "Reserve", {"order_id": order_id, "quantity": 1})
        charge = {
            "order_id": order_id,
            "amount_cents": 100,
            "currency": "EUR",
            "payment_token": "tok_ok",
        }
        url = f"{sidecar}/v1.0/invoke/payments/method/charges"
        (await client.post(url, json=charge)).raise_for_status()
        await actor(client, "Inventory", sku, "Commit", {"order_id": order_id})
        await actor(client, "Order", order_id, "Confirm", {"at": now})

    name = "B4 baseline: same calls, no workflow"
    return await closed_loop(name, sequence, count=count, concurrency=in_flight)
