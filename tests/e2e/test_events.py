"""Events through the real sidecar: warehouse restocks, dead letters and read models."""

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from devstack.stack import RunningApp, Stack
from tests.support.api import sidecar_async_client, sidecar_client
from tests.support.catalog import new_item
from tests.support.eventually import eventually
from tests.support.sidecar import CLOUDEVENTS_JSON, publish, publish_cloud_event, read_state

RESTOCKED = "inventory.restocked"


def available(api: httpx.Client, sku: str) -> int:
    count: int = api.get(f"/api/v1/items/{sku}").json()["available"]
    return count


def settles_at(api: httpx.Client, sku: str, expected: int) -> None:
    eventually(
        lambda: True if available(api, sku) == expected else None,
        what=f"{sku} to have {expected} available",
    )


def consumed(app: RunningApp, topic: str) -> float:
    """How many events of `topic` the app has handled or dropped (its own metrics)."""
    text = httpx.get(f"{app.url}/metrics", timeout=10.0).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(("events_consumed_total", "events_dropped_total"))
        and f'topic="{topic}"' in line
    )


def warehouse_publisher(stack: Stack) -> RunningApp:
    """A second app's sidecar publishes, as a warehouse system's own sidecar would. The
    embedded profile's in-memory pub/sub lives inside each sidecar, so there only the orders
    sidecar reaches the orders subscription."""
    return stack.apps["orders" if stack.run_file.profile == "embedded" else "payments"]


# How a third party may publish a shipment to the warehouse topic through its sidecar.
FORMS: dict[str, dict[str, Any]] = {
    "cloudevent": {"content_type": CLOUDEVENTS_JSON},
    "plain json, typed": {"metadata": {"cloudevent.type": RESTOCKED}},
    "plain json": {},
    "raw payload": {"metadata": {"rawPayload": "true"}},
    # The publisher names the event's id, source and type, as another SDK's client does.
    "plain json, attributes in metadata": {
        "metadata": {
            "cloudevent.id": "wh-event-1",
            "cloudevent.source": "urn:warehouse:berlin",
            "cloudevent.type": RESTOCKED,
        }
    },
    "binary cloudevent": {
        "content_type": "application/octet-stream",
        "metadata": {
            "ce_specversion": "1.0",
            "ce_id": "wh-event-2",
            "ce_source": "urn:warehouse:berlin",
            "ce_type": RESTOCKED,
        },
    },
}


def shipment_body(form: str, shipment: dict[str, Any]) -> Any:
    if form != "cloudevent":
        return shipment
    return {
        "specversion": "1.0",
        "id": uuid.uuid4().hex,
        "source": "warehouse",
        "type": RESTOCKED,
        "data": shipment,
    }


@pytest.mark.parametrize("form", FORMS)
def test_a_shipment_restocks_once_however_often_it_is_published(
    form: str, stack: Stack, orders_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=5)["sku"]
    orders = stack.apps["orders"]
    before = consumed(orders, "warehouse")
    shipment = {"sku": sku, "quantity": 10, "shipment_id": f"ship-{uuid.uuid4().hex[:8]}"}

    with sidecar_client(warehouse_publisher(stack)) as publisher:
        for _ in range(3):
            publish(publisher, "warehouse", shipment_body(form, shipment), **FORMS[form])

    eventually(
        lambda: consumed(orders, "warehouse") >= before + 3 or None,
        what="the three publishes handled",
    )
    assert available(orders_api, sku) == 15


def test_the_same_shipment_with_another_quantity_is_dead_lettered(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=0)["sku"]
    shipment = {"sku": sku, "quantity": 4, "shipment_id": f"ship-{uuid.uuid4().hex[:8]}"}
    other_id = uuid.uuid4().hex

    publish_cloud_event(orders_sidecar, "warehouse", uuid.uuid4().hex, RESTOCKED, shipment)
    settles_at(orders_api, sku, 4)
    changed = {**shipment, "quantity": 9}
    publish_cloud_event(orders_sidecar, "warehouse", other_id, RESTOCKED, changed)

    dead = eventually(
        lambda: read_state(orders_sidecar, f"deadletter:{other_id}"),
        what="the conflicting shipment in the dead-letter topic",
    )
    assert dead["event"]["data"] == changed
    assert available(orders_api, sku) == 4


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
    alert = read_state(orders_sidecar, f"alerts:low-stock:{sku}")
    assert (alert["event_id"], alert["available"], alert["version"]) == (f"{sku}:3:low_stock", 4, 3)
