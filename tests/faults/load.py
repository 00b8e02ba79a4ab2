"""Checkouts placed at a steady pace while something breaks, and the books checked after."""

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from app.read_models import ReadModels, catalog_key
from devstack.stack import RunningApp, Stack
from tests.support.api import orders_async_client, orders_client, payments_client
from tests.support.catalog import new_item
from tests.support.checkout import charge_status, final_order, stock
from tests.support.sidecar import read_models_through

SETTLE_SECONDS = 240.0
# Events left in an outbox by a crash wait for the actor's next turn or its sweep reminder.
READ_MODEL_SECONDS = 120.0
# An order not accepted this long after its first attempt means the stack did not recover;
# failing then keeps a stuck run from holding CI until the test timeout.
ACCEPT_SECONDS = 180.0


def stocked(stack: Stack, stock: int) -> tuple[RunningApp, RunningApp, str]:
    """The stack's orders and payments apps, and a new item with `stock` units."""
    orders, payments = stack.apps["orders"], stack.apps["payments"]
    with orders_client(orders) as admin:
        sku: str = new_item(admin, stock=stock)["sku"]
    return orders, payments, sku


@dataclass
class Load:
    """`count` one-unit orders of `sku`, one every `interval` seconds; each is retried with its
    own Idempotency-Key until accepted, so an outage never loses or doubles an order."""

    orders: RunningApp
    sku: str
    count: int
    interval: float
    tokens: tuple[str, ...] = ("tok_ok",)
    name: str = "load"
    failed_attempts: int = 0
    order_ids: list[str] = field(default_factory=list)

    async def run(self) -> list[str]:
        async with orders_async_client(self.orders, timeout=15.0) as client:
            placing = []
            for n in range(self.count):
                placing.append(asyncio.create_task(self._place(client, n)))
                await asyncio.sleep(self.interval)
            self.order_ids = list(await asyncio.gather(*placing))
        return self.order_ids

    async def _place(self, client: httpx.AsyncClient, n: int) -> str:
        token = self.tokens[n % len(self.tokens)]
        body = {"lines": [{"sku": self.sku, "quantity": 1}], "payment_token": token}
        key = {"Idempotency-Key": f"{self.sku}-{self.name}-{n}"}
        deadline = time.monotonic() + ACCEPT_SECONDS
        last_answer = "no attempt"
        while time.monotonic() < deadline:
            try:
                response = await client.post("/api/v1/orders", json=body, headers=key)
                if response.status_code == 202:
                    order_id: str = response.json()["id"]
                    return order_id
                last_answer = f"{response.status_code} {response.text[:300]}"
            except httpx.TransportError as error:
                last_answer = repr(error)
            self.failed_attempts += 1
            await asyncio.sleep(0.3)
        raise AssertionError(
            f"order {n} not accepted within {ACCEPT_SECONDS:.0f} s; last answer: {last_answer}"
        )


@dataclass(frozen=True)
class Books:
    orders: list[dict[str, Any]]
    charges: dict[str, str | None]
    available: int
    reserved: int
    settle_seconds: float
    # How long after the orders ended the read models agreed with the actors.
    read_models_seconds: float = 0.0

    @property
    def confirmed(self) -> int:
        return sum(1 for order in self.orders if order["status"] == "confirmed")

    @property
    def outcomes(self) -> dict[str, int]:
        return dict(Counter(o["status_reason"] or o["status"] for o in self.orders))

    def figures(self) -> dict[str, object]:
        return {
            "orders": len(self.orders),
            "confirmed": self.confirmed,
            "outcomes": self.outcomes,
            "lost": 0,  # settle() fails the scenario on any order that never ends
            "double_charges": self.double_charges,
            "settle_s": round(self.settle_seconds, 1),
            "read_models_s": round(self.read_models_seconds, 1),
        }

    @property
    def double_charges(self) -> int:
        """Captured charges without a confirmed order (charges are one per order id)."""
        return sum(
            1
            for order in self.orders
            if self.charges[order["id"]] == "captured" and order["status"] != "confirmed"
        )


def settled_order(api: httpx.Client, order_id: str, wait: float) -> dict[str, Any]:
    """The order once it ended; when it does not, the failure says where its saga stands."""
    try:
        return final_order(api, order_id, timeout=wait)
    except AssertionError as error:
        saga = api.get(f"/api/v1/orders/{order_id}/saga")
        raise AssertionError(f"{error}; its saga: {saga.status_code} {saga.text}") from None


def settle(
    orders: RunningApp,
    payments: RunningApp,
    sku: str,
    order_ids: list[str],
    wait: float = SETTLE_SECONDS,
) -> Books:
    """Waits for every order to end (each up to `wait` seconds), then reads stock and charges,
    and waits for the read models to agree with the actors: no event was lost on the way."""
    started = time.monotonic()
    with orders_client(orders) as api, payments_client(payments) as payments_api:
        finals = [settled_order(api, order_id, wait) for order_id in order_ids]
        settled = time.monotonic() - started
        charges = {o["id"]: charge_status(payments_api, o["id"]) for o in finals}
        available, reserved = stock(api, sku)
    books = Books(finals, charges, available, reserved, settled)
    return replace(books, read_models_seconds=assert_read_models_agree(orders, sku, books))


def assert_consistent(books: Books, initial: int, order_ids: list[str]) -> None:
    """Σ confirmed + available = initial stock, nothing still held, and money moved exactly
    for the confirmed orders."""
    assert len(set(order_ids)) == len(order_ids), "one order per Idempotency-Key"
    stock = {"available": books.available, "reserved": books.reserved, **books.figures()}
    assert books.confirmed + books.available == initial, stock
    assert books.reserved == 0, stock
    for order in books.orders:
        charge = books.charges[order["id"]]
        if order["status"] == "confirmed":
            assert charge == "captured", (order["id"], charge)
        else:
            assert charge in (None, "declined", "refunded", "voided"), (order["id"], charge)


async def _read_model_gaps(orders: RunningApp, sku: str, finals: list[dict[str, Any]]) -> list[str]:
    """What the read models do not agree with the actors on yet (empty when they agree)."""
    gaps: list[str] = []
    async with read_models_through(orders) as models:
        for customer in {order["customer_id"] for order in finals} | {None}:
            listed = await _everything(models, customer)
            for order in finals:
                if customer not in (None, order["customer_id"]):
                    continue
                seen = listed.get(order["id"])
                if seen != order["status"]:
                    gaps.append(
                        f"{order['id']} listed for {customer} as {seen}, is {order['status']}"
                    )
        item = await models.get(catalog_key(sku)) or {}
    async with orders_async_client(orders) as api:
        actual = (await api.get(f"/api/v1/items/{sku}")).json()
    if (item.get("available"), item.get("reserved")) != (actual["available"], actual["reserved"]):
        gaps.append(f"catalog {sku}: {item} vs {actual}")
    return gaps


async def _everything(models: ReadModels, customer: str | None) -> dict[str, str]:
    statuses: dict[str, str] = {}
    cursor: str | None = None
    while True:
        page = await models.orders_page(customer, None, 100, cursor)
        statuses.update({order["id"]: order["status"] for order in page.documents})
        if (cursor := page.next_cursor) is None:
            return statuses


def assert_read_models_agree(
    orders: RunningApp, sku: str, books: Books, timeout: float = READ_MODEL_SECONDS
) -> float:
    """Every order in its customer's list and in everyone's with its final status, the item
    as its actor has it: the events the actors announced all arrived. Answers how long the
    read models took to catch up after the orders ended."""
    started = time.monotonic()
    while True:
        gaps = asyncio.run(_read_model_gaps(orders, sku, books.orders))
        if not gaps:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise AssertionError(f"read models still disagree after {timeout:.0f} s: {gaps[:10]}")
        time.sleep(2.0)


def run_with_faults(
    load: Load,
    faults: int,
    inject: Callable[[], None],
    rng: random.Random,
    watchdog: Callable[[], bool] = lambda: True,
) -> list[str]:
    """The load runs on a helper thread; faults are injected from the main thread, because a
    child process dies with the thread that started it (see devstack.processes). `watchdog`
    runs every second or so throughout (it may mend what it finds), and after the faults until
    the load is done and it answers that the stack is sound."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        placing = pool.submit(asyncio.run, load.run())
        for _ in range(faults):
            # Not sooner than 3 s after the app came back: a kill within about 2 s of the
            # workflow worker connecting can leave daprd 1.18.2 holding the dead stream (see
            # README, "Fault injection"; upstream: dapr/durabletask-go#129, work items orphaned
            # by a disconnecting stream, fixed after the durabletask-go 1.18.2 pins).
            pause_until = time.monotonic() + rng.uniform(3.0, 5.0)
            while time.monotonic() < pause_until:
                watchdog()
                time.sleep(1.0)
            inject()
        while not (watchdog() and placing.done()):
            time.sleep(2.0)
        return placing.result()
