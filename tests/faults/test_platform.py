"""The control plane and the payment provider go away under load; pub/sub delivers twice,
late, and garbage."""

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx

from devstack.stack import RunningApp, Stack
from tests import controls
from tests.faults.conftest import Report
from tests.faults.load import Load, assert_consistent, settle, stocked
from tests.support.api import orders_client, sidecar_client
from tests.support.catalog import new_item
from tests.support.eventually import eventually
from tests.support.sidecar import read_state

# While placement is away an actor call must answer, one way or the other, within this.
ACTOR_CALL_BOUND_SECONDS = 12.0
PLACEMENT_DOWN_SECONDS = 8.0


def timed_actor_reads(orders: RunningApp, sku: str, seconds: float) -> list[tuple[int, float]]:
    """GET /items/{sku} (an Inventory actor call) in a loop: (status, seconds) of each."""
    results = []
    deadline = time.monotonic() + seconds
    with orders_client(orders) as api:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status = api.get(f"/api/v1/items/{sku}", timeout=60.0).status_code
            except httpx.TransportError:
                status = 0
            results.append((status, time.monotonic() - started))
            time.sleep(0.5)
    return results


def test_scheduler_restart_and_placement_outage_during_checkouts(
    fault_stack: Stack, report: Report
) -> None:
    orders, payments, sku = stocked(fault_stack, stock=80)
    load = Load(orders, sku, count=100, interval=0.3)

    with ThreadPoolExecutor(max_workers=1) as pool:
        placing = pool.submit(asyncio.run, load.run())
        time.sleep(5)
        controls.kill_member(fault_stack, "scheduler")
        time.sleep(2)
        controls.start_member(fault_stack, "scheduler")
        time.sleep(5)
        controls.kill_member(fault_stack, "placement")
        during_outage = timed_actor_reads(orders, sku, PLACEMENT_DOWN_SECONDS)
        controls.start_member(fault_stack, "placement")
        order_ids = placing.result()
    books = settle(orders, payments, sku, order_ids)

    slowest = max(seconds for _, seconds in during_outage)
    report(
        "control-plane",
        {
            "scheduler_restarts": 1,
            "placement_down_s": PLACEMENT_DOWN_SECONDS,
            "actor_calls_during_outage": len(during_outage),
            "their_statuses": sorted({status for status, _ in during_outage}),
            "slowest_call_s": round(slowest, 2),
            **books.figures(),
        },
    )
    assert slowest <= ACTOR_CALL_BOUND_SECONDS
    assert_consistent(books, initial=80, order_ids=order_ids)
    with orders_client(orders) as admin:
        assert admin.get(f"/api/v1/items/{sku}").status_code == 200


def test_payments_down_opens_the_breaker_and_everything_settles(
    fault_stack: Stack, report: Report
) -> None:
    orders, payments, sku = stocked(fault_stack, stock=100)
    controls.kill_app(fault_stack, "payments")
    during = Load(orders, sku, count=20, interval=0.2, name="while-down")
    during_ids = asyncio.run(during.run())
    time.sleep(8)
    controls.revive_app(fault_stack, "payments")
    reopened = time.monotonic()
    with sidecar_client(orders) as sidecar:
        # Calls to payments go through again once the breaker lets its probe through.
        eventually(
            lambda: sidecar.get("/v1.0/invoke/payments/method/health/ready").is_success or None,
            what="the circuit breaker to close",
        )
    breaker_closed_after = time.monotonic() - reopened
    after = Load(orders, sku, count=20, interval=0.1, name="after-return")
    after_ids = asyncio.run(after.run())
    order_ids = during_ids + after_ids
    books = settle(orders, payments, sku, order_ids)

    daprd_log = (fault_stack.log_dir / "daprd-orders.log").read_text()
    breaker_opened = "circuit breaker" in daprd_log.lower() and "open" in daprd_log.lower()
    outcome = {o["id"]: o for o in books.orders}
    report(
        "payments-down",
        {
            **books.figures(),
            "breaker_opened": breaker_opened,
            "placed_while_down": len(during_ids),
            "confirmed_of_those": sum(outcome[i]["status"] == "confirmed" for i in during_ids),
            "breaker_closed_after_s": round(breaker_closed_after, 1),
            "confirmed_after_return": sum(outcome[i]["status"] == "confirmed" for i in after_ids),
        },
    )
    assert_consistent(books, initial=100, order_ids=order_ids)
    assert breaker_opened
    assert all(outcome[i]["status"] == "confirmed" for i in after_ids)


def publish(sidecar: httpx.Client, topic: str, event: dict[str, object]) -> None:
    response = sidecar.post(
        f"/v1.0/publish/pubsub/{topic}",
        content=json.dumps(event),
        headers={"content-type": "application/cloudevents+json"},
    )
    assert response.status_code == 204, response.text


def restocked(sku: str, event_id: str, quantity: int = 1) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "faults",
        "type": "inventory.restocked",
        "data": {"sku": sku, "quantity": quantity, "shipment_id": event_id},
    }


def available(orders: RunningApp, sku: str) -> int:
    with orders_client(orders) as api:
        count: int = api.get(f"/api/v1/items/{sku}").json()["available"]
        return count


def test_events_duplicated_redelivered_and_poisoned_have_one_effect_each(
    fault_stack: Stack, report: Report
) -> None:
    orders = fault_stack.apps["orders"]
    with orders_client(orders) as admin:
        sku = new_item(admin, stock=0)["sku"]

    with sidecar_client(orders) as sidecar:
        # The same event five times: one restock.
        duplicate = restocked(sku, f"dup-{uuid.uuid4().hex}", quantity=3)
        for _ in range(5):
            publish(sidecar, "warehouse", duplicate)
        eventually(lambda: available(orders, sku) == 3 or None, what="the duplicated restock")

    # Published while the app is down: delivery fails and is retried until it is back. The
    # publishes run beside the restart (the in-memory broker answers a publish only once its
    # delivery ends); the launcher's restarts stay on this thread.
    controls.kill_app(fault_stack, "orders")
    with sidecar_client(orders) as sidecar, ThreadPoolExecutor(max_workers=10) as pool:
        late = [restocked(sku, f"late-{sku}-{n}") for n in range(10)]
        publishing = [pool.submit(publish, sidecar, "warehouse", event) for event in late]
        time.sleep(1)
        controls.revive_app(fault_stack, "orders")
        for done in publishing:
            done.result()
    eventually(lambda: available(orders, sku) == 13 or None, what="the redelivered restocks")

    with sidecar_client(orders) as sidecar:
        poison_id = f"poison-{uuid.uuid4().hex}"
        poison = {**restocked(sku, poison_id), "data": {"sku": sku, "quantity": "lots"}}
        publish(sidecar, "warehouse", poison)
        publish(sidecar, "warehouse", restocked(sku, f"after-poison-{uuid.uuid4().hex}"))
        dead = eventually(
            lambda: read_state(sidecar, f"deadletter:{poison_id}"), what="the dead letter"
        )
    eventually(lambda: available(orders, sku) == 14 or None, what="the event after the poison")
    time.sleep(2)  # room for any late duplicate to show
    final = available(orders, sku)

    report(
        "pubsub",
        {
            "duplicates_published": 5,
            "redelivered_events": 10,
            "poison_dead_lettered": dead["event"]["id"] == poison_id,
            "available": final,
            "expected": 14,
        },
    )
    assert final == 14
    assert dead["event"]["id"] == poison_id
