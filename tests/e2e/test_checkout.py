"""The checkout saga end to end: each path ends in the right order, stock and payment state."""

import json
from pathlib import Path

import httpx

from devstack.stack import Stack
from tests.support.catalog import new_item
from tests.support.checkout import (
    charge_status,
    final_order,
    finished_saga,
    place,
    saga,
    stock,
)
from tests.support.eventually import eventually


def test_a_paid_order_is_confirmed_committed_and_notified(
    orders_api: httpx.Client, payments_api: httpx.Client, stack: Stack
) -> None:
    sku = new_item(orders_api, stock=5, price_cents=300)["sku"]

    order_id = place(orders_api, [(sku, 2)])
    order = final_order(orders_api, order_id)

    assert (order["status"], order["total_cents"]) == ("confirmed", 600)
    assert [t["status"] for t in order["history"]] == ["pending", "confirmed"]
    assert stock(orders_api, sku) == (3, 0)
    assert charge_status(payments_api, order_id) == "captured"
    view = finished_saga(orders_api, order_id)
    assert view["runtime_status"] == "COMPLETED"
    assert [(s["step"], s["status"]) for s in view["timeline"]] == [
        ("reserve_stock", "done"),
        ("charge_payment", "done"),
        ("confirm_order", "done"),
    ]
    # The notice follows the order.confirmed event.
    note = stack.workdir / ".data" / "notifications" / f"{order_id}-confirmed.json"
    eventually(note.exists, what="the customer's notification")
    assert json.loads(Path(note).read_text())["status"] == "confirmed"


def test_a_shortage_cancels_and_releases_what_was_reserved(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    plenty = new_item(orders_api, stock=10)["sku"]
    scarce = new_item(orders_api, stock=1)["sku"]

    order = final_order(orders_api, place(orders_api, [(plenty, 3), (scarce, 2)]))

    assert (order["status"], order["status_reason"]) == ("cancelled", "out_of_stock")
    assert stock(orders_api, plenty) == (10, 0)
    assert stock(orders_api, scarce) == (1, 0)
    assert charge_status(payments_api, order["id"]) is None
    steps = [(s["step"], s["kind"]) for s in finished_saga(orders_api, order["id"])["timeline"]]
    assert steps == [
        ("reserve_stock", "step"),
        ("release_stock", "compensation"),
        ("cancel_order", "compensation"),
    ]


def test_a_declined_payment_releases_stock(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]

    order = final_order(orders_api, place(orders_api, [(sku, 1)], token="tok_decline"))

    assert (order["status"], order["status_reason"]) == ("cancelled", "payment_declined")
    assert stock(orders_api, sku) == (4, 0)
    assert charge_status(payments_api, order["id"]) == "declined"


def test_a_payment_needing_action_confirms_when_the_customer_completes_it(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]
    order_id = place(orders_api, [(sku, 1)], token="tok_action")
    eventually(
        lambda: saga(orders_api, order_id)["current_step"] == "await_payment_confirmation" or None,
        what="the saga to wait for the customer",
    )

    confirmed = payments_api.post(f"/charges/ch_{order_id}/confirm")

    assert confirmed.status_code == 200, confirmed.text
    assert final_order(orders_api, order_id)["status"] == "confirmed"
    assert charge_status(payments_api, order_id) == "captured"
    assert stock(orders_api, sku) == (3, 0)


def test_a_payment_needing_action_times_out_and_is_voided(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]

    order = final_order(orders_api, place(orders_api, [(sku, 2)], token="tok_action"))

    assert (order["status"], order["status_reason"]) == ("cancelled", "payment_timeout")
    assert charge_status(payments_api, order["id"]) == "voided"
    assert stock(orders_api, sku) == (4, 0)
    late = payments_api.post(f"/charges/ch_{order['id']}/confirm")
    assert late.status_code == 409


def test_a_slow_payment_times_out_and_its_late_capture_is_refunded(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]

    order = final_order(orders_api, place(orders_api, [(sku, 1)], token="tok_slow"))

    assert (order["status"], order["status_reason"]) == ("cancelled", "payment_timeout")
    assert charge_status(payments_api, order["id"]) == "refunded"
    assert stock(orders_api, sku) == (4, 0)


def test_the_customer_cancels_while_the_saga_waits(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]
    order_id = place(orders_api, [(sku, 1)], token="tok_action")
    eventually(
        lambda: saga(orders_api, order_id)["current_step"] == "await_payment_confirmation" or None,
        what="the saga to wait for the customer",
    )

    assert orders_api.post(f"/api/v1/orders/{order_id}/cancel").status_code == 202
    order = final_order(orders_api, order_id)

    assert (order["status"], order["status_reason"]) == ("cancelled", "cancelled_by_customer")
    assert charge_status(payments_api, order_id) == "voided"
    assert stock(orders_api, sku) == (4, 0)


def test_a_confirmed_order_cannot_be_cancelled(orders_api: httpx.Client) -> None:
    sku = new_item(orders_api, stock=4)["sku"]
    order_id = place(orders_api, [(sku, 1)])
    final_order(orders_api, order_id)

    refused = orders_api.post(f"/api/v1/orders/{order_id}/cancel")

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"


def test_the_same_idempotency_key_places_one_order_and_charges_once(
    orders_api: httpx.Client, payments_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=4)["sku"]

    first = place(orders_api, [(sku, 1)], key="checkout-42")
    again = place(orders_api, [(sku, 1)], key="checkout-42")
    final_order(orders_api, first)
    after = place(orders_api, [(sku, 1)], key="checkout-42")

    assert first == again == after
    assert final_order(orders_api, first)["status"] == "confirmed"
    assert stock(orders_api, sku) == (3, 0)
    assert charge_status(payments_api, first) == "captured"


def test_unknown_items_and_bad_bodies_are_client_errors(orders_api: httpx.Client) -> None:
    unknown = orders_api.post(
        "/api/v1/orders",
        json={"lines": [{"sku": "nope", "quantity": 1}], "payment_token": "tok_ok"},
    )
    empty = orders_api.post("/api/v1/orders", json={"lines": [], "payment_token": "tok_ok"})

    assert (unknown.status_code, empty.status_code) == (422, 422)
    assert orders_api.get("/api/v1/orders/nope/saga").status_code == 404
