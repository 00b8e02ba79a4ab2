"""B4 step by step: where a checkout's CPU goes.

The happy path's calls, made straight to the sidecar as B4's baseline makes them, but one step
at a time for every order of the run: all orders are placed, then all reserved, then all
charged, then the stock committed, then confirmed. Each step is measured on its own, from
/proc, until the events it published have been handled (the read models, the notification),
so each row holds what that step costs everywhere. What B4's full saga costs beyond the sum
of the steps is the workflow engine: its turns in the app, the sidecar and the scheduler.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx

from bench.cpu import measured
from bench.report import STEP_PREFIX
from bench.scenarios import client_for, closed_loop, new_item
from bench.stats import Figures
from common.caller import HEADER, CallerKey
from devstack.stack import RunningApp, Stack

Step = Callable[[httpx.AsyncClient, str], Awaitable[None]]
QUIET_FOR_SECONDS = 1.0
QUIET_WITHIN_SECONDS = 30.0


def checkout_steps(stack: Stack, orders: RunningApp, count: int) -> list[Figures]:
    sku = f"bench-{uuid.uuid4().hex[:8]}"
    asyncio.run(new_item(orders, sku, stock=count * 2))
    order_ids = [f"bench-{uuid.uuid4().hex}" for _ in range(count)]
    steps = _steps(orders, sku)
    figures = []
    for name, step in steps.items():
        with measured(stack) as usage:
            figure = asyncio.run(_run_step(orders, f"{STEP_PREFIX}{name}", step, order_ids))
        figures.append(replace(figure, cpu_ms=usage.per_op_ms(count)))
    return figures


async def _run_step(orders: RunningApp, name: str, step: Step, order_ids: list[str]) -> Figures:
    async def call(client: httpx.AsyncClient, n: int) -> None:
        await step(client, order_ids[n])

    figure = await closed_loop(name, call, orders, count=len(order_ids), concurrency=10)
    await _events_handled(orders)
    return figure


def _steps(orders: RunningApp, sku: str) -> dict[str, Step]:
    sidecar = orders.dapr_url
    secrets = json.loads(orders.secrets_file.read_text())
    caller = CallerKey(secrets["service-caller-key"], "orders")
    payment = {"currency": "EUR", "payment_token": "tok_ok"}
    now = datetime.now(UTC).isoformat()

    async def actor(client: httpx.AsyncClient, kind: str, key: str, method: str, body: Any) -> None:
        url = f"{sidecar}/v1.0/actors/{kind}/{key}/method/{method}"
        outcome = (await client.put(url, json=body)).json()
        assert outcome["ok"], outcome

    async def place(client: httpx.AsyncClient, order_id: str) -> None:
        line = {"sku": sku, "quantity": 1, "unit_price_cents": 100}
        placing = {
            "customer_id": "bench",
            "lines": [line],
            "at": now,
            "payment": {**payment, "payment_action_timeout_seconds": 60},
        }
        await actor(client, "Order", order_id, "Place", placing)

    async def reserve(client: httpx.AsyncClient, order_id: str) -> None:
        await actor(client, "Inventory", sku, "Reserve", {"order_id": order_id, "quantity": 1})

    async def charge(client: httpx.AsyncClient, order_id: str) -> None:
        body = json.dumps({"order_id": order_id, "amount_cents": 100, **payment}).encode()
        headers = {
            "content-type": "application/json",
            HEADER: caller.sign("payments", "POST", "charges", body),
        }
        url = f"{sidecar}/v1.0/invoke/payments/method/charges"
        (await client.post(url, content=body, headers=headers)).raise_for_status()

    async def commit(client: httpx.AsyncClient, order_id: str) -> None:
        await actor(client, "Inventory", sku, "Commit", {"order_id": order_id})

    async def confirm(client: httpx.AsyncClient, order_id: str) -> None:
        await actor(client, "Order", order_id, "Confirm", {"at": now})

    return {
        "Order.Place (+ order.placed handled)": place,
        "Inventory.Reserve (+ item_updated handled)": reserve,
        "payments charge by app-id": charge,
        "Inventory.Commit (+ item_updated handled)": commit,
        "Order.Confirm (+ order.confirmed handled, notification sent)": confirm,
    }


async def _events_handled(orders: RunningApp) -> None:
    """Waits until the app's event counters have not moved for a second (bounded)."""
    deadline = time.monotonic() + QUIET_WITHIN_SECONDS
    async with client_for(orders) as client:
        last, quiet_since = -1.0, time.monotonic()
        while time.monotonic() < deadline:
            seen = await _events_seen(client, orders)
            if seen != last:
                last, quiet_since = seen, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_FOR_SECONDS:
                return
            await asyncio.sleep(0.1)


async def _events_seen(client: httpx.AsyncClient, orders: RunningApp) -> float:
    text = (await client.get(f"{orders.url}/metrics")).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(("events_consumed_total", "events_dropped_total"))
    )
