"""B8: what an order costs the read models, and what listing orders costs, measured with 0,
10,000 and 100,000 orders already in them, in the same run. `make bench` runs it; alone:
`python -m bench.read_models [--smoke]`.

Existing orders are seeded through the state API (their summaries in bulk, their index
entries with the app's own index code, many at once), spread over the last 180 days and over
20 registered customers, so each customer has thousands at 100,000. At each size:
- order events: `order.placed` events published through the orders sidecar as fast as it
  takes them, shared evenly by the customers; events/s until every summary is stored, and the
  subscriber's handling time (its JSON request lines) p50/p99;
- `GET /api/v1/orders?limit=20` as the administrator (everyone's orders) and as a customer,
  each answer checked to be a full page.
`B8 growth` = cost at the largest size ÷ cost at 0, for each figure; the target is ≤ 1.25.
"""

import argparse
import asyncio
import json
import random
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.read_models import ReadModels, order_key
from bench.cpu import measured
from bench.report import save_results
from bench.scenarios import closed_loop, sign_in
from bench.stack import bench_stack, profile
from bench.stats import Figures
from common.memory_state import MemoryDocuments
from devstack.clients import SignedIn
from devstack.stack import RunningApp, Stack

SIZES, SMOKE_SIZES = (0, 10_000, 100_000), (0, 200, 1_000)
CUSTOMERS = 20
PASSWORD = "benchmark password 1"
ORDERS_ENV = {
    "PERIMETER_GENERAL_RATE_LIMIT": "100000000/minute",
    "PERIMETER_REGISTER_RATE_LIMIT": "100000/minute",
    "PERIMETER_LOGIN_RATE_LIMIT": "100000/minute",
    "LOG_FORMAT": "json",
}


def summary(order_id: str, customer: str, created_at: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "customer_id": customer,
        "status": "confirmed",
        "status_reason": None,
        "total_cents": 900,
        "created_at": created_at,
        "version": 2,
    }


async def seed(orders: RunningApp, customers: list[str], count: int, rng: random.Random) -> float:
    """`count` more existing orders; answers the seconds it took. Their index documents are
    laid out in memory by the app's own index code, then merged into the store in bulk."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    layout = MemoryDocuments()
    models = ReadModels(layout)
    summaries: dict[str, dict[str, Any]] = {}
    for _ in range(count):
        at = (now - timedelta(days=1 + rng.uniform(0, 180))).isoformat()
        order = summary(f"seed-{uuid.uuid4().hex[:16]}", rng.choice(customers), at)
        summaries[order_key(order["id"])] = order
        await models.index_order(order["id"], order["customer_id"], at)
    async with httpx.AsyncClient(
        base_url=orders.dapr_url, headers=orders.sidecar_headers, timeout=120
    ) as http:
        await _save(http, summaries)
        indexes = layout.documents
        keys = sorted(indexes)
        for start in range(0, len(keys), BULK):
            batch = keys[start : start + BULK]
            stored = await _read(http, batch)
            merged = {key: _merged(indexes[key], stored.get(key)) for key in batch}
            await _save(http, merged, {key: etag for key, (_, etag) in stored.items()})
    return time.perf_counter() - started


BULK = 500


async def _read(http: httpx.AsyncClient, keys: list[str]) -> dict[str, tuple[dict[str, Any], str]]:
    """The stored documents among `keys`, each with its ETag."""
    response = await http.post("/v1.0/state/statestore/bulk", json={"keys": keys})
    response.raise_for_status()
    return {
        item["key"]: (item["data"], item.get("etag", ""))
        for item in response.json()
        if item.get("data")
    }


async def _save(
    http: httpx.AsyncClient,
    documents: dict[str, dict[str, Any]],
    etags: dict[str, str] | None = None,
) -> None:
    """In transactions of BULK writes: one commit each (a bulk save commits every key). A key
    the app already wrote is written over its ETag: the app writes first-write, and Redis's
    store refuses a write without an ETag to such a key."""
    etags = etags or {}
    items = list(documents.items())
    for start in range(0, len(items), BULK):
        operations = [
            {"operation": "upsert", "request": _write(key, value, etags.get(key))}
            for key, value in items[start : start + BULK]
        ]
        response = await http.post(
            "/v1.0/state/statestore/transaction", json={"operations": operations}
        )
        response.raise_for_status()


def _write(key: str, value: dict[str, Any], etag: str | None) -> dict[str, Any]:
    if not etag:
        return {"key": key, "value": value}
    options = {"concurrency": "first-write", "consistency": "strong"}
    return {"key": key, "value": value, "etag": etag, "options": options}


def _merged(laid_out: dict[str, Any], stored: tuple[dict[str, Any], str] | None) -> dict[str, Any]:
    """An index document is one sorted list (members, or a calendar level's entries)."""
    if stored is None:
        return laid_out
    ((field, entries),) = laid_out.items()
    return {field: sorted(set(entries) | set(stored[0].get(field, [])))}


async def order_events(orders: RunningApp, customers: list[str], count: int, size: int) -> Figures:
    """`count` new orders announced at once; the figure's latencies are the subscriber's."""
    log = orders.app.log_path
    offset = log.stat().st_size
    ids = [f"b8-{size}-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    now = datetime.now(UTC).isoformat()
    async with httpx.AsyncClient(
        base_url=orders.dapr_url, headers=orders.sidecar_headers, timeout=60
    ) as http:

        async def publish(order_id: str, customer: str) -> None:
            data = {
                **summary(order_id, customer, now),
                "status": "pending",
                "lines": [{"sku": "tea", "quantity": 2, "unit_price_cents": 450}],
                "history": [{"status": "pending", "at": now, "reason": None}],
            }
            event = {
                "specversion": "1.0",
                "id": f"{order_id}:pending",
                "source": "bench",
                "type": "order.placed",
                "time": now,
                "datacontenttype": "application/json",
                "data": data,
            }
            response = await http.post(
                "/v1.0/publish/pubsub/orders",
                content=json.dumps(event),
                headers={"content-type": "application/cloudevents+json"},
            )
            response.raise_for_status()

        started = time.perf_counter()
        # Every customer gets its share, the one whose listing is measured included.
        owners = [customers[n % len(customers)] for n in range(count)]
        for at_once in range(0, count, 16):
            await asyncio.gather(
                *(
                    publish(i, owner)
                    for i, owner in zip(
                        ids[at_once : at_once + 16], owners[at_once : at_once + 16], strict=True
                    )
                )
            )
        await _stored(http, ids)
        elapsed = time.perf_counter() - started
    return Figures(f"B8 order events at {size}", count, elapsed, _handling_ms(log, offset))


async def _stored(http: httpx.AsyncClient, ids: list[str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    waiting = list(ids)
    while waiting:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(waiting)} order events never reached the read model")
        found = await http.post(
            "/v1.0/state/statestore/bulk", json={"keys": [order_key(i) for i in waiting[:500]]}
        )
        found.raise_for_status()
        stored = {
            item["key"].removeprefix("orders:summary:") for item in found.json() if item.get("data")
        }
        waiting = [i for i in waiting if i not in stored]
        if waiting:
            await asyncio.sleep(0.2)


def _handling_ms(log: Path, offset: int) -> list[float]:
    with log.open("rb") as lines:
        lines.seek(offset)
        entries = [json.loads(line) for line in lines if line.startswith(b"{")]
    return [
        float(entry["duration_ms"])
        for entry in entries
        if entry.get("event") == "request" and entry.get("route") == "/events/orders"
    ]


async def as_admin(
    orders: RunningApp, _customer: SignedIn, count: int, size: int, page: int
) -> Figures:
    """Everyone's newest orders, as the administrator, 4 callers at once."""

    async def list_page(client: httpx.AsyncClient, _n: int) -> None:
        _full_page(await client.get(f"{orders.url}/api/v1/orders", params={"limit": page}), page)

    name = f"B8 GET /orders admin at {size}"
    return await closed_loop(name, list_page, orders, count=count, concurrency=4)


async def as_customer(
    orders: RunningApp, customer: SignedIn, count: int, size: int, page: int
) -> Figures:
    """One customer's newest orders (thousands of them at 100,000), one call at a time."""
    latencies: list[float] = []
    async with httpx.AsyncClient(auth=customer, timeout=60) as client:
        started = time.perf_counter()
        for _ in range(count):
            began = time.perf_counter()
            response = await client.get(f"{orders.url}/api/v1/orders", params={"limit": page})
            _full_page(response, page)
            latencies.append((time.perf_counter() - began) * 1000)
        seconds = time.perf_counter() - started
    return Figures(f"B8 GET /orders customer at {size}", count, seconds, latencies)


def _full_page(response: httpx.Response, page: int) -> None:
    """A listing's figure is about a full page: an empty one would cost next to nothing."""
    response.raise_for_status()
    if (found := len(response.json()["items"])) != page:
        raise RuntimeError(f"a page of {found} orders where {page} were asked for")


async def register_customers(orders: RunningApp) -> tuple[list[str], SignedIn]:
    ids = []
    async with httpx.AsyncClient(base_url=orders.url, timeout=60) as http:
        for n in range(CUSTOMERS):
            email = f"b8-{n}-{uuid.uuid4().hex[:6]}@example.com"
            body = {"email": email, "password": PASSWORD, "name": f"Customer {n}"}
            response = await http.post("/api/v1/auth/register", json=body)
            response.raise_for_status()
            ids.append(response.json()["id"])
    return ids, SignedIn(orders.url, email, PASSWORD)


def measure(stack: Stack, orders: RunningApp, smoke: bool) -> list[Figures]:
    rng = random.Random(8)
    # Each events phase gives every customer a page of orders at least.
    events, gets, page = (20, 20, 1) if smoke else (400, 300, 20)
    asyncio.run(sign_in(orders))
    customers, measured_customer = asyncio.run(register_customers(orders))
    figures: list[Figures] = []
    seeded = 0
    for size in SMOKE_SIZES if smoke else SIZES:
        took = asyncio.run(seed(orders, customers, size - seeded, rng))
        print(f"B8: seeded {size - seeded} orders in {took:.0f} s (now {size})", flush=True)
        seeded = size
        with measured(stack) as usage:
            handled = asyncio.run(order_events(orders, customers, events, size))
        figures.append(replace(handled, cpu_ms=usage.per_op_ms(handled.count)))
        for listing in (as_admin, as_customer):
            with measured(stack) as usage:
                listed = asyncio.run(listing(orders, measured_customer, gets, size, page))
            figures.append(replace(listed, cpu_ms=usage.per_op_ms(listed.count)))
    return figures


def growth(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Cost at the largest size ÷ cost at 0: the CPU of every process per operation and the
    p50 of each figure, and for the events also time per event (the inverse of their rate).
    p99 is shown too, but a two-core machine's p99 moves with whatever else ran."""
    sizes = sorted({int(r["name"].rsplit(" ", 1)[1]) for r in rows})
    first, last = sizes[0], sizes[-1]
    found: dict[str, float] = {}
    for figure in ("B8 order events", "B8 GET /orders admin", "B8 GET /orders customer"):
        small = next(r for r in rows if r["name"] == f"{figure} at {first}")
        large = next(r for r in rows if r["name"] == f"{figure} at {last}")
        found[f"{figure} CPU ms per op"] = _ratio(large["cpu_ms_per_op"], small["cpu_ms_per_op"])
        found[f"{figure} p50_ms"] = _ratio(large["p50_ms"], small["p50_ms"])
        if figure == "B8 order events":
            found[f"{figure} time per event"] = _ratio(small["per_second"], large["per_second"])
        found[f"{figure} p99_ms{INFORMATIVE}"] = _ratio(large["p99_ms"], small["p99_ms"])
    return found


def _ratio(large: float, small: float) -> float:
    return round(large / max(small, 0.01), 2)


INFORMATIVE = " (informative)"
TARGET = 1.25


def to_markdown(rows: list[dict[str, Any]], grown: dict[str, float], profile: str) -> str:
    lines = [
        f"# B8: read models as orders pile up ({profile} profile)",
        "",
        "| scenario | count | per s | p50 ms | p99 ms | CPU ms/op |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['name']} | {r['count']} | {r['per_second']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r['cpu_ms_per_op']} |"
            for r in rows
        ),
        "",
        f"| B8 growth (largest size ÷ 0; target ≤ {TARGET}) | ratio | |",
        "|---|---|---|",
        *(
            f"| {name} | {ratio} | "
            f"{'' if name.endswith(INFORMATIVE) else 'met' if ratio <= TARGET else 'missed'} |"
            for name, ratio in grown.items()
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes; checks it still runs")
    args = parser.parse_args()
    with bench_stack("bench-b8-", ORDERS_ENV) as (stack, orders):
        figures = measure(stack, orders, args.smoke)
    rows = [figure.row() for figure in figures]
    grown = growth(rows)
    markdown = to_markdown(rows, grown, profile())
    print(markdown)
    if not args.smoke:
        result = {"profile": profile(), "rows": rows, "growth": grown, "target": TARGET}
        save_results(f"{profile()}-b8", result, markdown)


if __name__ == "__main__":
    main()
