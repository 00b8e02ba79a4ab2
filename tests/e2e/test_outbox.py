"""No event is lost between an actor's save and its publish: with the pub/sub server frozen,
an order is placed and its saga runs (every change saved, none announced), the app is killed,
and once both are back the order still reaches its customer's list and the read models
agree with the actors.

Runs on the postgres profile, where state (PostgreSQL) and pub/sub (Redis) are separate
servers, so the publishes can fail while the saves succeed."""

import os
import time
from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from tests import controls
from tests.faults.load import assert_read_models_agree, settle
from tests.support.api import new_customer, orders_client
from tests.support.catalog import new_item
from tests.support.checkout import final_order
from tests.support.stacks import ORDERS_ENV, own_stack

pytestmark = pytest.mark.skipif(
    os.environ.get("DAPR_PROFILE", "embedded") != "postgres",
    reason="needs a pub/sub server apart from the state store: the postgres profile",
)


@pytest.fixture(scope="module")
def split_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with own_stack(request, tmp_path_factory, "outbox", ORDERS_ENV) as stack:
        yield stack


def test_events_saved_before_a_crash_are_published_after_it(split_stack: Stack) -> None:
    orders, payments = split_stack.apps["orders"], split_stack.apps["payments"]
    with orders_client(orders) as admin:
        sku = new_item(admin, stock=5)["sku"]
    pubsub = controls.server(split_stack, "redis")

    with new_customer(orders) as customer:
        controls.freeze(pubsub)
        try:
            body = {"lines": [{"sku": sku, "quantity": 2}], "payment_token": "tok_ok"}
            placed = customer.post("/api/v1/orders", json=body)
            assert placed.status_code == 202, placed.text
            order_id = placed.json()["id"]
            assert final_order(customer, order_id)["status"] == "confirmed"
            time.sleep(2)  # the publishes after each turn are waiting on the frozen server
            controls.kill_app(split_stack, "orders")
        finally:
            controls.thaw(pubsub)
        controls.revive_app(split_stack, "orders")

        books = settle(orders, payments, sku, [order_id])
        listed = customer.get("/api/v1/orders").json()["items"]

    assert [(o["id"], o["status"]) for o in listed] == [(order_id, "confirmed")]
    assert (books.available, books.reserved) == (3, 0)
    assert assert_read_models_agree(orders, sku, books) >= 0
