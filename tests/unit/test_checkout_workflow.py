"""The checkout saga's decisions, driven with a fake context: no sidecar, every path."""

import json
from typing import Any

import pytest

from tests.fakes.workflow import FakeWorkflowContext, World, run_workflow
from workflows.activities import CHECKOUT_ACTIVITIES
from workflows.checkout import CANCEL_EVENT, PAYMENT_ATTEMPTS, PAYMENT_CONFIRMED_EVENT, checkout
from workflows.payments import PaymentsUnavailable, PaymentTimeout

ORDER = {
    "lines": [{"sku": "tea", "quantity": 2}, {"sku": "cup", "quantity": 1}],
    "total_cents": 900,
    "currency": "EUR",
    "payment_token": "tok_ok",
    "payment_action_timeout_seconds": 60,
}
RESERVED = {"pending": True, "status": "pending", "short": []}
COMPENSATION = ["refund_payment", "release_stock", "cancel_order"]


def world(**overrides: Any) -> World:
    activities: dict[str, Any] = {
        "reserve_stock": RESERVED,
        "charge_payment": {"charge_id": "ch_order-1", "status": "captured"},
        "confirm_order": None,
        "refund_payment": "refunded",
        "release_stock": None,
        "cancel_order": None,
    }
    events = overrides.pop("events", {})
    return World(activities={**activities, **overrides}, events=events)


def run(w: World, order: dict[str, Any] = ORDER) -> tuple[dict[str, Any], FakeWorkflowContext]:
    ctx = FakeWorkflowContext()
    result: dict[str, Any] = run_workflow(checkout, ctx, order, w)
    return result, ctx


def cancel_reason(ctx: FakeWorkflowContext) -> str:
    reason: str = next(t for t in ctx.calls if t.name == "cancel_order").input["reason"]
    return reason


def test_a_paid_order_commits_confirms_and_notifies() -> None:
    result, ctx = run(world())

    assert result == {"status": "confirmed", "reason": None, "replayed": False}
    assert ctx.activity_names() == ["reserve_stock", "charge_payment", "confirm_order"]
    assert ctx.calls[0].input == {"order_id": "order-1", "lines": ORDER["lines"]}
    assert ctx.calls[2].input["lines"] == ORDER["lines"]
    charge = ctx.calls[1].input
    assert charge == {
        "order_id": "order-1",
        "amount_cents": 900,
        "currency": "EUR",
        "payment_token": "tok_ok",
    }


def test_the_timeline_names_every_step_with_context_times() -> None:
    _, ctx = run(world())

    status = json.loads(ctx.custom_status or "{}")
    assert status["current_step"] is None
    steps = [(entry["step"], entry["status"]) for entry in status["timeline"]]
    assert steps == [
        ("reserve_stock", "done"),
        ("charge_payment", "done"),
        ("confirm_order", "done"),
    ]
    assert status["timeline"][0]["started_at"].startswith("2026-01-01T00:00")


def test_a_shortage_releases_every_line_and_charges_nothing() -> None:
    result, ctx = run(world(reserve_stock={**RESERVED, "short": ["cup"]}))

    assert result == {"status": "cancelled", "reason": "out_of_stock", "replayed": False}
    assert ctx.activity_names() == ["reserve_stock", "release_stock", "cancel_order"]
    timeline = json.loads(ctx.custom_status or "{}")["timeline"]
    assert timeline[0]["detail"] == "out of stock: cup"


@pytest.mark.parametrize(
    ("charge", "reason"),
    [
        ({"charge_id": "c", "status": "declined"}, "payment_declined"),
        ({"charge_id": None, "status": "rejected"}, "payment_declined"),
        (PaymentTimeout("deadline exceeded"), "payment_timeout"),
        (RuntimeError("payments is down"), "payment_failed"),
    ],
)
def test_a_failed_charge_refunds_then_releases_then_cancels(charge: Any, reason: str) -> None:
    result, ctx = run(world(charge_payment=charge))

    assert result == {"status": "cancelled", "reason": reason, "replayed": False}
    assert ctx.activity_names()[2:] == COMPENSATION
    assert "confirm_order" not in ctx.activity_names()


def test_a_payment_needing_action_confirms_when_the_customer_does() -> None:
    w = world(
        charge_payment={"charge_id": "c", "status": "requires_action"},
        events={PAYMENT_CONFIRMED_EVENT: {"charge_id": "c"}},
    )
    w.waits_win = True

    result, ctx = run(w)

    assert result["status"] == "confirmed"
    assert "confirm_order" in ctx.activity_names()


def test_a_payment_needing_action_times_out() -> None:
    w = world(charge_payment={"charge_id": "c", "status": "requires_action"})
    w.timers_fire = True

    result, ctx = run(w)

    assert result == {"status": "cancelled", "reason": "payment_timeout", "replayed": False}
    assert ctx.activity_names()[2:] == COMPENSATION


def test_a_payment_needing_action_that_may_not_wait_is_voided_at_once() -> None:
    w = world(charge_payment={"charge_id": "c", "status": "requires_action"})
    w.waits_win = True  # the customer would confirm: the saga does not wait for it

    result, ctx = run(w, {**ORDER, "payment_action_timeout_seconds": 0})

    assert result == {
        "status": "cancelled",
        "reason": "payment_action_not_allowed",
        "replayed": False,
    }
    assert ctx.activity_names()[2:] == COMPENSATION


def test_a_cancel_during_reservation_compensates_without_charging() -> None:
    w = world(events={CANCEL_EVENT: None})
    w.waits_win = True

    result, ctx = run(w)

    assert result == {"status": "cancelled", "reason": "cancelled_by_customer", "replayed": False}
    assert "charge_payment" not in ctx.activity_names()
    assert ctx.activity_names()[-2:] == ["release_stock", "cancel_order"]


def test_a_reservation_that_keeps_failing_compensates() -> None:
    result, ctx = run(world(reserve_stock=RuntimeError("actor unavailable")))

    assert result == {"status": "cancelled", "reason": "reservation_failed", "replayed": False}
    assert cancel_reason(ctx) == "reservation_failed"


def test_an_order_that_is_no_longer_pending_starts_nothing() -> None:
    result, ctx = run(world(reserve_stock={"pending": False, "status": "confirmed", "short": []}))

    assert result == {"status": "confirmed", "reason": None, "replayed": True}
    assert ctx.activity_names() == ["reserve_stock"]


def test_times_carry_their_utc_offset_although_the_runtime_clock_is_naive() -> None:
    _, ctx = run(world())

    confirm = next(t for t in ctx.calls if t.name == "confirm_order")
    assert confirm.input["at"].endswith("+00:00")


def test_an_unavailable_provider_is_waited_for_and_then_charged() -> None:
    answers = iter([PaymentsUnavailable("503"), PaymentsUnavailable("503")])
    w = world(
        charge_payment=lambda _charge: next(answers, {"charge_id": "c", "status": "captured"})
    )
    w.timers_fire = True

    result, ctx = run(w)

    assert result == {"status": "confirmed", "reason": None, "replayed": False}
    assert ctx.activity_names().count("charge_payment") == 3
    timeline = json.loads(ctx.custom_status or "{}")["timeline"]
    charge = next(entry for entry in timeline if entry["step"] == "charge_payment")
    assert (charge["status"], charge["attempt"]) == ("done", 3)


def test_a_provider_that_stays_unavailable_fails_the_charge_after_its_attempts() -> None:
    w = world(charge_payment=PaymentsUnavailable("503"))
    w.timers_fire = True

    result, ctx = run(w)

    assert result == {"status": "cancelled", "reason": "payment_failed", "replayed": False}
    assert ctx.activity_names().count("charge_payment") == PAYMENT_ATTEMPTS
    assert ctx.activity_names()[-len(COMPENSATION) :] == COMPENSATION


def test_every_activity_the_saga_calls_is_one_the_worker_registers() -> None:
    """Activities are called by reference, and the worker registers CHECKOUT_ACTIVITIES:
    every path of the saga together calls exactly those."""
    worlds = [
        world(),
        world(charge_payment={"charge_id": "c", "status": "declined"}),
        world(reserve_stock={**RESERVED, "short": ["tea"]}),
    ]
    called = {name for w in worlds for name in run(w)[1].activity_names()}

    assert called == {activity.__name__ for activity in CHECKOUT_ACTIVITIES}
