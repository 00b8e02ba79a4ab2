"""What replicas change, proven on three of them: one activation per actor, sagas that outlive
the replica running them, one delivery per event, scheduled work once per period, and rate
limits for the service as a whole. The replica kill runs last: it leaves two replicas."""

import asyncio
import json
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from devstack.stack import RunningApp, Stack
from tests.faults.load import Load, assert_consistent, settle
from tests.support.api import orders_client
from tests.support.catalog import new_item
from tests.support.eventually import eventually


def through_front_door(stack: Stack) -> RunningApp:
    """The first replica, but reached through the front door."""
    first = stack.apps["orders"]
    port = int(stack.url_of("orders").rsplit(":", 1)[1])
    return replace(first, spec=replace(first.spec, app_port=port))


def log_entries(stack: Stack, app_id: str, since: str = "") -> list[dict[str, Any]]:
    """What the app's replicas logged (JSON lines) at or after `since` (ISO UTC), each with
    the replica's name."""
    entries = []
    for replica in stack.replicas[app_id]:
        for line in Path(replica.app.log_path).read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("timestamp", "") >= since:
                    entries.append({**entry, "replica": replica.name})
    return entries


def now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def test_one_activation_per_actor_id_across_replicas(replicated: Stack) -> None:
    """200 reservations of one SKU sent through all three sidecars against 50 units."""
    with orders_client(through_front_door(replicated)) as admin:
        sku = new_item(admin, stock=50)["sku"]

        async def reserve_everywhere() -> list[bool]:
            replicas = replicated.replicas["orders"]
            clients = [
                httpx.AsyncClient(base_url=r.dapr_url, headers=r.sidecar_headers, timeout=60)
                for r in replicas
            ]

            async def reserve(n: int) -> bool:
                url = f"/v1.0/actors/Inventory/{sku}/method/Reserve"
                body = {"order_id": f"o-{n}", "quantity": 1}
                response = await clients[n % len(clients)].put(url, json=body)
                response.raise_for_status()
                return bool(response.json()["ok"])

            try:
                return list(await asyncio.gather(*(reserve(n) for n in range(200))))
            finally:
                for client in clients:
                    await client.aclose()

        granted = asyncio.run(reserve_everywhere())
        item = admin.get(f"/api/v1/items/{sku}").json()

    assert sum(granted) == 50
    assert (item["available"], item["reserved"]) == (0, 50)


def handled(stack: Stack, topic: str) -> float:
    total = 0.0
    for replica in stack.replicas["orders"]:
        for line in httpx.get(f"{replica.url}/metrics", timeout=10).text.splitlines():
            if line.startswith("events_consumed_total") and f'topic="{topic}"' in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def test_an_event_is_handled_once_across_replicas(replicated: Stack) -> None:
    """The same restock published five times, through different replicas' sidecars: five
    deliveries (not one per replica each), one restock."""
    with orders_client(through_front_door(replicated)) as admin:
        sku = new_item(admin, stock=0)["sku"]
        before = handled(replicated, "warehouse")
        event = {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "warehouse",
            "type": "inventory.restocked",
            "data": {"sku": sku, "quantity": 10, "shipment_id": f"ship-{uuid.uuid4().hex[:6]}"},
        }
        for n in range(5):
            replica = replicated.replicas["orders"][n % 3]
            response = httpx.post(
                f"{replica.dapr_url}/v1.0/publish/pubsub/warehouse",
                content=json.dumps(event),
                headers={**replica.sidecar_headers, "content-type": "application/cloudevents+json"},
                timeout=30,
            )
            assert response.status_code == 204, response.text
        eventually(
            lambda: handled(replicated, "warehouse") >= before + 5 or None, what="5 deliveries"
        )
        time.sleep(2)  # any delivery beyond the five would have arrived by now

        assert handled(replicated, "warehouse") == before + 5
        assert admin.get(f"/api/v1/items/{sku}").json()["available"] == 10


def test_the_digest_job_runs_once_per_period_for_the_whole_service(replicated: Stack) -> None:
    """Scheduled every 3 s on three replicas: about one run per period, not three."""

    def runs() -> list[dict[str, object]]:
        return [
            e
            for e in log_entries(replicated, "orders")
            if e.get("event") == "request" and e.get("route") == "/job/low-stock-digest"
        ]

    start = len(runs())
    time.sleep(15)
    during = runs()[start:]

    assert 3 <= len(during) <= 7, [e["replica"] for e in during]


def test_the_login_limit_holds_for_the_service_not_per_replica(replicated: Stack) -> None:
    """6 sign-ins a minute per address and account, over three replicas behind the door."""
    form = {"username": f"guess-{uuid.uuid4().hex[:6]}@example.com", "password": "wrong password"}
    start = now()
    with httpx.Client(base_url=replicated.url_of("orders"), timeout=30) as anonymous:
        statuses = [anonymous.post("/api/v1/auth/token", data=form).status_code for _ in range(9)]
    served_by = {
        e["replica"]
        for e in log_entries(replicated, "orders", since=start)
        if e.get("route") == "/api/v1/auth/token"
    }

    assert statuses == [401] * 6 + [429] * 3
    assert len(served_by) >= 2


def test_sagas_finish_when_a_replica_dies_with_its_sidecar(replicated: Stack) -> None:
    orders, payments = through_front_door(replicated), replicated.apps["payments"]
    with orders_client(orders) as admin:
        sku = new_item(admin, stock=40)["sku"]
    load = Load(orders, sku, count=60, interval=0.1, tokens=("tok_ok",) * 4 + ("tok_decline",))
    victim = replicated.replicas["orders"][2]

    async def run_and_kill() -> list[str]:
        placing = asyncio.create_task(load.run())
        await asyncio.sleep(3)
        victim.app.kill()
        victim.daprd.kill()
        return await placing

    order_ids = asyncio.run(run_and_kill())
    books = settle(orders, payments, sku, order_ids)

    assert not victim.app.running and not victim.daprd.running
    assert_consistent(books, initial=40, order_ids=order_ids)
    assert books.double_charges == 0
