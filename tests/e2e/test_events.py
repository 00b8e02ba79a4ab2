"""Events through the real sidecar: warehouse restocks, dead letters and read models."""

import asyncio
import json
import uuid
from typing import Any

import httpx

from devstack.stack import RunningApp
from tests.e2e.api import sidecar_async_client
from tests.e2e.eventually import eventually
from tests.e2e.sidecar import publish_cloud_event, read_state
from tests.e2e.test_catalog import new_item

RESTOCKED = "inventory.restocked"


def available(api: httpx.Client, sku: str) -> int:
    count: int = api.get(f"/api/v1/items/{sku}").json()["available"]
    return count


def settles_at(api: httpx.Client, sku: str, expected: int) -> None:
    eventually(
        lambda: True if available(api, sku) == expected else None,
        what=f"{sku} to have {expected} available",
    )


def test_a_warehouse_event_restocks_once_per_event_id(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=1)["sku"]
    shipment = {"sku": sku, "quantity": 5, "shipment_id": "s-1"}
    first_id, second_id = uuid.uuid4().hex, uuid.uuid4().hex

    publish_cloud_event(orders_sidecar, "warehouse", first_id, RESTOCKED, shipment)
    settles_at(orders_api, sku, 6)
    publish_cloud_event(orders_sidecar, "warehouse", first_id, RESTOCKED, shipment)
    publish_cloud_event(orders_sidecar, "warehouse", second_id, RESTOCKED, shipment)
    settles_at(orders_api, sku, 11)
    publish_cloud_event(orders_sidecar, "warehouse", second_id, RESTOCKED, shipment)

    # A later, distinct event is handled after the redelivered ones, so by then they are done.
    marker = {"sku": sku, "quantity": 1, "shipment_id": "s-2"}
    publish_cloud_event(orders_sidecar, "warehouse", uuid.uuid4().hex, RESTOCKED, marker)
    settles_at(orders_api, sku, 12)


def test_a_malformed_event_is_dead_lettered_and_the_subscriber_keeps_working(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=0)["sku"]
    poison_id = uuid.uuid4().hex

    publish_cloud_event(orders_sidecar, "warehouse", poison_id, RESTOCKED, {"sku": sku})
    valid = {"sku": sku, "quantity": 3, "shipment_id": "s-9"}
    publish_cloud_event(orders_sidecar, "warehouse", uuid.uuid4().hex, RESTOCKED, valid)

    settles_at(orders_api, sku, 3)
    dead = eventually(
        lambda: read_state(orders_sidecar, f"deadletter:{poison_id}"),
        what="the malformed event in the dead-letter topic",
    )
    assert dead["event"]["data"] == {"sku": sku}


def test_an_unknown_sku_is_dropped_not_retried(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    event_id = uuid.uuid4().hex
    shipment = {"sku": "never-created", "quantity": 1, "shipment_id": "s"}

    publish_cloud_event(orders_sidecar, "warehouse", event_id, RESTOCKED, shipment)

    eventually(
        lambda: read_state(orders_sidecar, f"deadletter:{event_id}"),
        what="the unknown SKU's event in the dead-letter topic",
    )
    assert orders_api.get("/health/ready").status_code == 200


def test_read_models_converge_after_a_burst_of_concurrent_events(
    orders_api: httpx.Client, orders: RunningApp
) -> None:
    sku = new_item(orders_api, stock=0)["sku"]

    async def burst() -> None:
        url = "/v1.0/publish/pubsub/warehouse"
        async with sidecar_async_client(orders) as client:

            async def restock(n: int) -> None:
                event = {
                    "specversion": "1.0",
                    "id": f"{sku}-{n}",
                    "source": "tests",
                    "type": RESTOCKED,
                    "data": {"sku": sku, "quantity": 1, "shipment_id": f"s-{n}"},
                }
                headers = {"content-type": "application/cloudevents+json"}
                response = await client.post(url, content=json.dumps(event), headers=headers)
                response.raise_for_status()

            await asyncio.gather(*(restock(n) for n in range(60)))

    asyncio.run(burst())

    settles_at(orders_api, sku, 60)

    def listed() -> dict[str, Any] | None:
        page = orders_api.get("/api/v1/items", params={"limit": 100}).json()
        found = [item for item in page["items"] if item["sku"] == sku]
        return found[0] if found and found[0]["available"] == 60 else None

    assert eventually(listed, what="the catalog read model to converge")["available"] == 60


def test_crossing_the_low_stock_threshold_alerts_once(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    """The threshold is 5: the second reservation (5 -> 4, version 3) crosses it; no other does."""
    sku = new_item(orders_api, stock=6)["sku"]
    url = f"/v1.0/actors/Inventory/{sku}/method/Reserve"
    for n in range(4):
        orders_sidecar.put(url, json={"order_id": f"o-{n}", "quantity": 1}).raise_for_status()

    def listed_with(count: int) -> bool | None:
        page = orders_api.get("/api/v1/items", params={"limit": 100}).json()
        return any(i["sku"] == sku and i["available"] == count for i in page["items"]) or None

    # The last reservation's update is published after any alert an earlier one raised.
    eventually(lambda: listed_with(2), what="the last reservation in the read model")
    index = read_state(orders_sidecar, "inventory:low-stock") or {"members": []}
    assert [m for m in index["members"] if m.startswith(f"{sku}:")] == [f"{sku}:3:low_stock"]
