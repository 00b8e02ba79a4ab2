"""Each scenario measures one thing and, in the same run, the baseline it is compared to.

Closed-loop: `concurrency` callers each issue their next call when the previous answers, for
`count` calls in all; that gives saturation throughput and the latency at that load.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.stats import Figures
from bench.vegeta import at_fixed_rate
from common.caller import HEADER, CallerKey
from devstack.clients import admin_credentials, as_admin
from devstack.stack import RunningApp

Call = Callable[[httpx.AsyncClient, int], Awaitable[None]]


# Calls of an open-loop run in flight at once. Late ones wait on a semaphore, not in httpx's
# pool, whose queue costs time in its length for every request: after a stall of the sidecar,
# the calls piled up there made the load generator the bottleneck, and it never caught up.
OPEN_LOOP_IN_FLIGHT = 100
OPEN_LOOP_LIMITS = httpx.Limits(
    max_connections=OPEN_LOOP_IN_FLIGHT, max_keepalive_connections=OPEN_LOOP_IN_FLIGHT
)
# How long a checkout run may take beyond two seconds per saga before it is given up.
CHECKOUT_BUDGET_SECONDS = 120


def client_for(orders: RunningApp, limits: httpx.Limits | None = None) -> httpx.AsyncClient:
    """Calls the orders API as the administrator and its sidecar with the sidecar's token:
    both URLs are absolute, so one client serves either."""
    return httpx.AsyncClient(
        timeout=60.0,
        auth=as_admin(orders),
        headers=orders.sidecar_headers,
        limits=limits or httpx.Limits(),
    )


async def closed_loop(
    name: str, call: Call, orders: RunningApp, *, count: int, concurrency: int
) -> Figures:
    latencies: list[float] = []
    next_index = iter(range(count))
    async with client_for(orders) as client:

        async def caller() -> None:
            for n in next_index:
                started = time.perf_counter()
                await call(client, n)
                latencies.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(concurrency)))
        return Figures(name, count, time.perf_counter() - started, latencies)


async def direct_calls(orders: RunningApp, count: int) -> Figures:
    """B1 baseline: a small request straight to uvicorn."""

    async def direct(client: httpx.AsyncClient, _n: int) -> None:
        (await client.get(f"{orders.url}/health/live")).raise_for_status()

    name = "B1 baseline: direct to the app"
    return await closed_loop(name, direct, orders, count=count, concurrency=8)


async def invocations(orders: RunningApp, count: int) -> Figures:
    """B1: the same request through Dapr service invocation."""

    async def through_sidecar(client: httpx.AsyncClient, _n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/invoke/orders/method/health/live"
        (await client.get(url)).raise_for_status()

    name = "B1 service invocation"
    return await closed_loop(name, through_sidecar, orders, count=count, concurrency=8)


async def state_saves_and_gets(orders: RunningApp, count: int) -> Figures:
    """B2 baseline: a state save and a get through the sidecar, no actor."""

    async def save_and_get(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/state/statestore"
        key = f"bench-{n % 64}"
        (await client.post(url, json=[{"key": key, "value": {"n": n}}])).raise_for_status()
        (await client.get(f"{url}/{key}")).raise_for_status()

    name = "B2 baseline: state save+get via sidecar"
    return await closed_loop(name, save_and_get, orders, count=count, concurrency=8)


async def reservations_on_one_sku(orders: RunningApp, sku: str, count: int) -> Figures:
    """B2: warm Inventory.Reserve calls, all on one SKU's actor."""

    async def reserve(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/actors/Inventory/{sku}/method/Reserve"
        response = await client.put(url, json={"order_id": f"bench-{n}", "quantity": 1})
        assert response.json()["ok"], response.text

    name = "B2 actor Reserve (one SKU)"
    return await closed_loop(name, reserve, orders, count=count, concurrency=8)


async def activations(orders: RunningApp, sku: str, count: int) -> Figures:
    """B3: a new actor id each call: placement lookup, activation and an empty state load."""

    async def activate(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/actors/Inventory/{sku}-new-{n}/method/Get"
        response = await client.put(url, json=None)
        assert response.json() == {"ok": True, "value": None}, response.text

    name = "B3 actor activation (new id)"
    return await closed_loop(name, activate, orders, count=count, concurrency=8)


async def checkouts(
    orders: RunningApp, count: int, in_flight: int, replicas: Sequence[RunningApp] = ()
) -> list[Figures]:
    """B4: full checkout sagas (tok_ok), `in_flight` at a time, placed through `orders` (a
    replica or the front door). Completion is read from the counters of every replica (each
    counts what it confirmed; one scrape every 50 ms for the whole run, not a poll per order,
    which would cost more than the saga); latency from each order's own timestamps (placed →
    confirmed), read once at the end."""
    counted = list(replicas) or [orders]
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    await new_item(orders, sku, stock=count * 2)
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
    order_ids: list[str] = []
    deadline = time.monotonic() + CHECKOUT_BUDGET_SECONDS + count * 2
    async with client_for(orders) as client:
        ended_before = await _orders_ended(client, counted)
        started = time.perf_counter()

        async def ended() -> int:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} checkouts did not end in time; placed {order_ids}")
            return int(await _orders_ended(client, counted) - ended_before)

        while len(order_ids) < count:
            done = await ended()
            for _ in range(min(in_flight - (len(order_ids) - done), count - len(order_ids))):
                placed = await client.post(f"{orders.url}/api/v1/orders", json=body)
                order_ids.append(placed.json()["id"])
            await asyncio.sleep(0.05)
        while await ended() < count:
            await asyncio.sleep(0.05)
        seconds = time.perf_counter() - started
        finals = [await _order(client, orders, order_id) for order_id in order_ids]
    assert {order["status"] for order in finals} == {"confirmed"}, finals[:3]
    saga_ms = [_elapsed_ms(o["history"][0]["at"], o["history"][-1]["at"]) for o in finals]
    return [
        Figures("B4 checkout (client view)", count, seconds, saga_ms),
        Figures("B4 checkout saga (placed→confirmed)", count, seconds, saga_ms),
    ]


async def _orders_ended(client: httpx.AsyncClient, replicas: Sequence[RunningApp]) -> float:
    """Orders the replicas have confirmed or cancelled since they started (their counters)."""
    ended = 0.0
    for replica in replicas:
        text = (await client.get(f"{replica.url}/metrics")).text
        ended += sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(("orders_confirmed_total", "orders_cancelled_total"))
        )
    return ended


async def _order(client: httpx.AsyncClient, orders: RunningApp, order_id: str) -> dict[str, Any]:
    order: dict[str, Any] = (await client.get(f"{orders.url}/api/v1/orders/{order_id}")).json()
    return order


def _elapsed_ms(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() * 1000


async def checkouts_without_workflow(orders: RunningApp, count: int, in_flight: int) -> Figures:
    """B4 baseline: the saga's happy-path calls in sequence, with no workflow around them."""
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    sidecar = orders.dapr_url
    await new_item(orders, sku, stock=count * 2)
    secrets = json.loads(orders.secrets_file.read_text())
    key = CallerKey(secrets["service-caller-key"], "orders")

    async def actor(client: httpx.AsyncClient, kind: str, key: str, method: str, body: Any) -> Any:
        url = f"{sidecar}/v1.0/actors/{kind}/{key}/method/{method}"
        outcome = (await client.put(url, json=body)).json()
        assert outcome["ok"], outcome
        return outcome["value"]

    async def sequence(client: httpx.AsyncClient, _n: int) -> None:
        order_id = f"bench-{uuid.uuid4().hex}"
        now = datetime.now(UTC).isoformat()
        line = {"sku": sku, "quantity": 1, "unit_price_cents": 100}
        payment = {"currency": "EUR", "payment_token": "tok_ok"}
        saga = {**payment, "payment_action_timeout_seconds": 60}
        placing = {"customer_id": "b", "lines": [line], "at": now, "payment": saga}
        await actor(client, "Order", order_id, "Place", placing)
        await actor(client, "Inventory", sku, "Reserve", {"order_id": order_id, "quantity": 1})
        charge = json.dumps({"order_id": order_id, "amount_cents": 100, **payment}).encode()
        url = f"{sidecar}/v1.0/invoke/payments/method/charges"
        headers = {
            "content-type": "application/json",
            HEADER: key.sign("payments", "POST", "charges", charge),
        }
        (await client.post(url, content=charge, headers=headers)).raise_for_status()
        await actor(client, "Inventory", sku, "Commit", {"order_id": order_id})
        await actor(client, "Order", order_id, "Confirm", {"at": now})

    name = "B4 baseline: same calls, no workflow"
    return await closed_loop(name, sequence, orders, count=count, concurrency=in_flight)


async def admin_token(orders: RunningApp) -> str:
    """A bearer token of the administrator, for a client that signs nothing in itself."""
    email, password = admin_credentials(orders)
    async with httpx.AsyncClient(base_url=orders.url, timeout=60) as client:
        response = await client.post(
            "/api/v1/auth/token", data={"username": email, "password": password}
        )
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


async def fresh_item(orders: RunningApp, stock: int = 10) -> str:
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    await new_item(orders, sku, stock=stock)
    return sku


async def request_costs(orders: RunningApp) -> dict[str, tuple[str, dict[str, str]]]:
    """B0's two requests, by name, as a path and its headers: the signed-in user (a bearer
    token and one state read) and an item (one actor call)."""
    token = await admin_token(orders)
    sku = await fresh_item(orders)
    return {
        "B0 GET /api/v1/users/me (bearer token)": (
            "/api/v1/users/me",
            {"Authorization": f"Bearer {token}"},
        ),
        "B0 GET /api/v1/items/{sku} (one actor call)": (f"/api/v1/items/{sku}", {}),
    }


async def reservations_over_skus(orders: RunningApp, count: int, skus: int) -> Figures:
    """B2 over many SKUs: reservations spread over `skus` items, 16 in flight, as a catalog
    under load sees them (each SKU's actor takes its own turns)."""
    names = [f"bench-{uuid.uuid4().hex[:8]}" for _ in range(skus)]
    for sku in names:
        await new_item(orders, sku, stock=count)

    async def reserve(client: httpx.AsyncClient, n: int) -> None:
        url = f"{orders.dapr_url}/v1.0/actors/Inventory/{names[n % skus]}/method/Reserve"
        response = await client.put(url, json={"order_id": f"bench-{n}", "quantity": 1})
        assert response.json()["ok"], response.text

    name = f"B2 actor Reserve over {skus} SKUs"
    return await closed_loop(name, reserve, orders, count=count, concurrency=16)


async def sign_in(orders: RunningApp) -> None:
    """Signs the administrator in before anything is timed (Argon2 is slow on purpose)."""
    async with client_for(orders) as client:
        (await client.get(f"{orders.url}/api/v1/users/me")).raise_for_status()


async def new_item(orders: RunningApp, sku: str, stock: int) -> None:
    item = {"sku": sku, "name": "bench", "price_cents": 100, "stock": stock}
    async with client_for(orders) as client:
        (await client.post(f"{orders.url}/api/v1/items", json=item)).raise_for_status()


async def open_loop(
    name: str, call: Call, orders: RunningApp, *, rate: float, seconds: float
) -> Figures:
    """Fixed rate: call n starts at n / rate whatever the earlier ones do, and its latency
    counts from that scheduled start, so a stall shows in every call it delays (no
    coordinated omission)."""
    latencies: list[float] = []
    total = max(1, int(rate * seconds))
    in_flight = asyncio.Semaphore(OPEN_LOOP_IN_FLIGHT)
    async with client_for(orders, OPEN_LOOP_LIMITS) as client:
        started = time.perf_counter()

        async def one(n: int) -> None:
            scheduled = started + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            async with in_flight:
                await call(client, n)
            latencies.append((time.perf_counter() - scheduled) * 1000)

        async with asyncio.timeout(seconds * 3 + 60):
            await asyncio.gather(*(one(n) for n in range(total)))
        return Figures(name, total, time.perf_counter() - started, latencies, rate)


async def invocation_at_fixed_rate(
    orders: RunningApp, rate: float, seconds: float
) -> list[Figures]:
    """B1 at a fixed request rate, open loop (vegeta): direct, then through the sidecar."""
    label = f"{rate:.0f}/s open loop"
    invoked = f"{orders.dapr_url}/v1.0/invoke/orders/method/health/live"
    return [
        await at_fixed_rate(
            f"B1 baseline: direct, {label}",
            f"{orders.url}/health/live",
            rate=rate,
            seconds=seconds,
        ),
        await at_fixed_rate(
            f"B1 service invocation, {label}",
            invoked,
            rate=rate,
            seconds=seconds,
            headers=orders.sidecar_headers,
        ),
    ]


async def publish_to_handler(
    orders: RunningApp, log: Path, *, rate: float, count: int, burst: int
) -> list[Figures]:
    """B5: warehouse events published through the sidecar at a fixed rate; latency from the
    publish to the subscriber's "event handled" log line (same clock), beside the publish call
    alone; then a burst of `burst` events at 16 in flight for events/s at saturation."""
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    await new_item(orders, sku, stock=0)
    published: dict[str, float] = {}

    async def publish(client: httpx.AsyncClient, n: int, prefix: str) -> None:
        event_id = f"{sku}-{prefix}-{n}"
        event = {
            "specversion": "1.0",
            "id": event_id,
            "source": "bench",
            "type": "inventory.restocked",
            "data": {"sku": sku, "quantity": 1, "shipment_id": event_id},
        }
        published[event_id] = time.time()
        response = await client.post(
            f"{orders.dapr_url}/v1.0/publish/pubsub/warehouse",
            content=json.dumps(event),
            headers={"content-type": "application/cloudevents+json"},
        )
        response.raise_for_status()

    async def paced(client: httpx.AsyncClient, n: int) -> None:
        await publish(client, n, "paced")

    async def flooding(client: httpx.AsyncClient, n: int) -> None:
        await publish(client, n, "burst")

    calls = await open_loop(
        "B5 baseline: the publish call", paced, orders, rate=rate, seconds=count / rate
    )
    paced_ids = [i for i in published if "-paced-" in i]
    handled = await _handled_at(log, paced_ids)
    end_to_end = [(handled[i] - published[i]) * 1000 for i in paced_ids]
    flood = await closed_loop("B5 burst publish", flooding, orders, count=burst, concurrency=16)
    burst_ids = [i for i in published if "-burst-" in i]
    burst_handled = await _handled_at(log, burst_ids)
    span = max(burst_handled.values()) - min(published[i] for i in burst_ids)
    return [
        calls,
        Figures(
            f"B5 publish → handler, {rate:.0f}/s", len(end_to_end), calls.seconds, end_to_end, rate
        ),
        Figures("B5 saturation: burst published → all handled", burst, span, flood.latencies_ms),
    ]


async def _handled_at(log: Path, event_ids: list[str], timeout: float = 60.0) -> dict[str, float]:
    """When the subscriber logged each event as handled (JSON log lines)."""
    wanted, found = set(event_ids), {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"event handled"' in line:
                entry = json.loads(line)
                if entry.get("event_id") in wanted:
                    found[entry["event_id"]] = datetime.fromisoformat(
                        entry["timestamp"]
                    ).timestamp()
        if len(found) == len(wanted):
            return found
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{len(wanted) - len(found)} events were never handled")
