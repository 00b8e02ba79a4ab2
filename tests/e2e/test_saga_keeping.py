"""A pending order always has a saga driving it: the Order actor's saga watch (every 3 s in
these stacks) starts one that was never scheduled and wakes a start that never ran.

Both states are what a process killed mid-checkout leaves: the order stored, then the app dead
before its saga was scheduled; or daprd 1.18's start saved after its reminder had fired and
been dropped (dapr/dapr#10443). The tests make them by hand, with the same calls the app makes,
and stop there, as the dead caller did.
"""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from dapr.conf import settings
from dapr.ext.workflow import DaprWorkflowClient, WorkflowStatus

from devstack.stack import RunningApp
from tests.e2e.test_observability import metric_samples
from tests.support.catalog import new_item
from tests.support.checkout import charge_status, final_order, finished_saga, stock

PRICE_CENTS = 250
PAYMENT = {"currency": "EUR", "payment_token": "tok_ok", "payment_action_timeout_seconds": 60}


@pytest.fixture
def workflows(orders: RunningApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[DaprWorkflowClient]:
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", orders.tokens.get("DAPR_API_TOKEN"))
    yield DaprWorkflowClient("127.0.0.1", str(orders.spec.grpc_port))


def store_order(sidecar: httpx.Client, sku: str, quantity: int) -> str:
    """What the app's POST /orders does before it schedules the saga: the Order actor's Place."""
    order_id = f"key-{uuid.uuid4().hex}"
    line = {"sku": sku, "quantity": quantity, "unit_price_cents": PRICE_CENTS}
    request = {
        "customer_id": "tests",
        "lines": [line],
        "at": datetime.now(UTC).isoformat(),
        "payment": PAYMENT,
    }
    response = sidecar.put(f"/v1.0/actors/Order/{order_id}/method/Place", json=request)
    assert response.status_code == 200, response.text
    assert response.json()["value"]["status"] == "pending"
    return order_id


def revived(api: httpx.Client, how: str) -> float:
    return metric_samples(api).get(("checkout_sagas_revived_total", (("how", how),)), 0.0)


def assert_confirmed(api: httpx.Client, payments_api: httpx.Client, order_id: str) -> None:
    order: dict[str, Any] = final_order(api, order_id)
    assert (order["status"], order["total_cents"]) == ("confirmed", 2 * PRICE_CENTS)
    assert charge_status(payments_api, order_id) == "captured"
    assert finished_saga(api, order_id)["runtime_status"] == "COMPLETED"


def test_an_order_stored_without_a_saga_gets_one_from_its_actor(
    orders_api: httpx.Client, orders_sidecar: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=5, price_cents=PRICE_CENTS)["sku"]
    started_before = revived(orders_api, "started")

    order_id = store_order(orders_sidecar, sku, 2)

    assert orders_api.get(f"/api/v1/orders/{order_id}/saga").status_code == 404
    assert_confirmed(orders_api, payments_api, order_id)
    assert stock(orders_api, sku) == (3, 0)
    assert revived(orders_api, "started") == started_before + 1


def test_a_saved_start_that_nothing_drives_is_woken(
    orders_api: httpx.Client,
    orders_sidecar: httpx.Client,
    payments_api: httpx.Client,
    workflows: DaprWorkflowClient,
) -> None:
    sku = new_item(orders_api, stock=5, price_cents=PRICE_CENTS)["sku"]
    woken_before = revived(orders_api, "woken")
    order_id = store_order(orders_sidecar, sku, 2)
    saga = {"lines": [{"sku": sku, "quantity": 2}], "total_cents": 2 * PRICE_CENTS, **PAYMENT}

    # A start whose only reminder is an hour away: saved, PENDING, and nothing runs it sooner,
    # which is what a start whose reminder was dropped looks like from outside.
    workflows.schedule_new_workflow(
        "checkout",
        input=saga,
        instance_id=order_id,
        start_at=datetime.now(UTC) + timedelta(hours=1),
    )
    state = workflows.get_workflow_state(order_id, fetch_payloads=False)
    assert state is not None and state.runtime_status == WorkflowStatus.PENDING

    assert_confirmed(orders_api, payments_api, order_id)
    assert revived(orders_api, "woken") == woken_before + 1
