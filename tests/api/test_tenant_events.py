"""Tenants behind the sidecar's routes: an event is handled with the services of the tenant it
names, the digest goes out per tenant, and the payments callback reaches the saga of the
tenant its order id names."""

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from common.events import CLOUDEVENTS_JSON, PLAIN_PAYLOAD_TYPE, new_event
from common.tenancy import DEFAULT_TENANT
from tests.api.conftest import APP_TOKEN, World
from tests.api.tenants import ACME, GLOBEX, Two, two_tenants

SIDECAR = {"dapr-api-token": APP_TOKEN}
AT = "2026-12-01T10:00:00+00:00"
ITEM = {"sku": "tea", "name": "Tea", "price_cents": 450, "available": 5, "reserved": 0}


@pytest.fixture
def two(world: World) -> Iterator[Two]:
    with two_tenants(world) as two:
        yield two


def deliver(two: Two, topic: str, event: dict[str, Any]) -> str:
    response = two.api.post(
        f"/events/{topic}",
        content=json.dumps(event),
        headers={**SIDECAR, "content-type": CLOUDEVENTS_JSON},
    )
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


def test_an_item_event_lands_in_its_tenant_s_read_models(two: Two) -> None:
    event = new_event("inventory.item_created", "acme~tea:1", {**ITEM, "version": 1}, AT, "t", ACME)

    assert deliver(two, "inventory", event) == "SUCCESS"
    assert "acme~catalog:item:tea" in two.world.store.documents
    assert "catalog:item:tea" not in two.world.store.documents


def test_an_order_s_notice_is_named_for_its_tenant(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    view = asyncio.run(two.world.actors_of(ACME)[1].confirm(order_id, AT))
    event = new_event("order.confirmed", f"acme~{order_id}:confirmed", view, AT, "t", ACME)

    assert deliver(two, "orders", event) == "SUCCESS"
    assert list(two.world.notifications.sent) == [f"acme~{order_id}-confirmed.json"]
    assert f"acme~orders:summary:{order_id}" in two.world.store.documents


def restock(shipment: str, **data: Any) -> dict[str, Any]:
    body = {"sku": "tea", "quantity": 10, "shipment_id": shipment, **data}
    return {"specversion": "1.0", "id": shipment, "source": "warehouse", "type": "x", "data": body}


@pytest.mark.parametrize(
    ("event", "restocked"),
    [
        ({**restock("s1"), "type": "inventory.restocked", "tenant": ACME}, ACME),
        ({**restock("s2", tenant=ACME), "type": PLAIN_PAYLOAD_TYPE}, ACME),
        ({**restock("s3"), "type": PLAIN_PAYLOAD_TYPE}, DEFAULT_TENANT),
    ],
)
def test_a_shipment_restocks_the_tenant_it_names(
    two: Two, event: dict[str, Any], restocked: str
) -> None:
    for tenant in (DEFAULT_TENANT, ACME, GLOBEX):
        two.item(tenant)

    assert deliver(two, "warehouse", event) == "SUCCESS"
    available = {
        tenant: asyncio.run(two.world.actors_of(tenant)[0].get("tea"))["available"]  # type: ignore[index]
        for tenant in (DEFAULT_TENANT, ACME, GLOBEX)
    }
    assert available == {t: 15 if t == restocked else 5 for t in available}


@pytest.mark.parametrize(
    "event",
    [
        {**restock("s1"), "type": "inventory.restocked", "tenant": "initech"},
        {**restock("s2", tenant=GLOBEX), "type": "inventory.restocked", "tenant": ACME},
        {**restock("s3", sku="acme~tea"), "type": PLAIN_PAYLOAD_TYPE},
    ],
    ids=["unknown tenant", "attribute and data disagree", "another tenant's actor id"],
)
def test_a_shipment_of_no_tenant_here_is_dropped(two: Two, event: dict[str, Any]) -> None:
    two.item(ACME)

    assert deliver(two, "warehouse", event) == "DROP"
    assert asyncio.run(two.world.actors_of(ACME)[0].get("tea"))["available"] == 5  # type: ignore[index]


@pytest.mark.parametrize(
    ("event", "key"),
    [
        ({**restock("s7"), "tenant": ACME}, "acme~deadletter:s7"),
        ({**restock("s8", tenant=GLOBEX), "tenant": ACME}, "deadletter:s8"),
        ({**restock("s9"), "tenant": "initech"}, "deadletter:s9"),
    ],
    ids=["its tenant's", "tenants disagree", "unknown tenant"],
)
def test_a_dead_letter_is_kept_whatever_tenant_it_names(
    two: Two, event: dict[str, Any], key: str
) -> None:
    assert deliver(two, "deadletter", event) == "SUCCESS"
    assert key in two.world.store.documents


def test_each_tenant_gets_its_own_digest(two: Two) -> None:
    for tenant in (DEFAULT_TENANT, ACME):
        data = {"sku": "tea", "available": 1, "threshold": 5, "version": 3}
        asyncio.run(two.read_models(tenant).low_stock("tea", data, 3, AT))

    answer = two.api.post("/job/low-stock-digest", headers=SIDECAR).json()

    assert answer == {"alerts": 2}
    names = sorted(two.world.notifications.sent)
    assert len(names) == 2 and names[0].startswith("acme~low-stock-digest-")


def test_a_confirmed_payment_reaches_the_saga_of_its_order_s_tenant(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    path = "/internal/payments/confirmed"

    def confirm(order: str) -> int:
        body = {"order_id": order, "charge_id": f"ch_{order}"}
        return two.api.post(path, json=body, headers=SIDECAR).status_code

    assert [confirm(order_id), confirm(f"globex~{order_id}"), confirm(f"initech~{order_id}")] == [
        404,
        404,
        404,
    ]
    assert confirm(f"acme~{order_id}") == 202
    assert two.world.sagas.events == [
        (f"acme~{order_id}", "payment_confirmed", {"charge_id": f"ch_acme~{order_id}"})
    ]
