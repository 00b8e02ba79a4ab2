"""The checkout saga: reserve stock, charge, then confirm, or compensate in reverse order.

A deterministic generator: it only yields activities, timers and external events, takes time
from the context, and logs only when not replaying. Any way it ends, the order is confirmed
or fully compensated: stock released, money refunded, order cancelled with a reason.

Three activities on the happy path: each is a round trip through the sidecar and the
scheduler, so a step does all of its lines at once. The customer's notification follows the
order.confirmed event (app.subscriptions), not a step here.
"""

import logging
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from dapr.ext.workflow import DaprWorkflowContext, RetryPolicy, TaskFailedError, when_any

from workflows.activities import (
    cancel_order,
    charge_payment,
    confirm_order,
    refund_payment,
    release_stock,
    reserve_stock,
)
from workflows.messages import (
    CancelRequest,
    ChargeRequest,
    ChargeResult,
    CheckoutInput,
    ConfirmRequest,
    OrderRequest,
    Reserved,
    SagaResult,
    StockRequest,
)
from workflows.payments import PaymentsUnavailable, PaymentTimeout
from workflows.progress import Progress, utc_iso

log = logging.getLogger(__name__)

CANCEL_EVENT = "cancel_requested"
PAYMENT_CONFIRMED_EVENT = "payment_confirmed"

# Compensations must finish: they retry for minutes before the workflow gives up.
COMPENSATION_RETRY = RetryPolicy(
    first_retry_interval=timedelta(seconds=1),
    max_number_of_attempts=12,
    backoff_coefficient=2.0,
    max_retry_interval=timedelta(seconds=30),
)
# A reservation that fails (the SKU's actor busy or out of reach) says nothing about the stock
# and is safe to retry, so it waits as long as a compensation would before the order is given up.
RESERVE_RETRY = COMPENSATION_RETRY

# While payments is down (or its circuit breaker open) a charge waits: 1+2+4+8+10+10 s.
PAYMENT_ATTEMPTS = 7

Saga = Generator[Any, Any, Any]


class Cancelled(Exception):
    """Internal: a step ended in a way that cancels the order with `reason`."""

    def __init__(self, reason: str, *, charged: bool) -> None:
        super().__init__(reason)
        self.reason, self.charged = reason, charged


def checkout(ctx: DaprWorkflowContext, order: CheckoutInput) -> Generator[Any, Any, SagaResult]:
    """The instance id is the order id."""
    progress = Progress(ctx)
    cancel = ctx.wait_for_external_event(CANCEL_EVENT)
    try:
        reserved = yield from _reserve(ctx, progress, order, cancel)
        if not reserved["pending"]:
            return {"status": reserved["status"], "reason": None, "replayed": True}
        yield from _charge(ctx, progress, order, cancel)
    except Cancelled as cancelled:
        yield from _compensate(ctx, progress, order, cancelled)
        return {"status": "cancelled", "reason": cancelled.reason, "replayed": False}
    yield from _confirm(ctx, progress, order)
    return {"status": "confirmed", "reason": None, "replayed": False}


def _unless_cancelled(progress: Progress, cancel: Any, waits: list[Any], *, charged: bool) -> Saga:
    """Waits for the first of `waits` or the customer's cancel; a cancel that comes first ends
    the running step and cancels the order. Answers the task that finished."""
    first = yield when_any([*waits, cancel])
    if first is cancel:
        progress.end("interrupted", "cancelled by the customer")
        raise Cancelled("cancelled_by_customer", charged=charged)
    return first


def _reserve(
    ctx: DaprWorkflowContext, progress: Progress, order: CheckoutInput, cancel: Any
) -> Generator[Any, Any, Reserved]:
    progress.begin("reserve_stock", max_attempts=RESERVE_RETRY.max_number_of_attempts)
    reserving: Any = ctx.call_activity(
        reserve_stock, input=_stock(ctx, order), retry_policy=RESERVE_RETRY
    )
    yield from _unless_cancelled(progress, cancel, [reserving], charged=False)
    try:
        reserved: Reserved = reserving.get_result()
    except TaskFailedError as error:
        progress.end("failed", error.details.message)
        raise Cancelled("reservation_failed", charged=False) from error
    if not reserved["pending"]:
        progress.end("skipped", f"the order is {reserved['status']}")
        return reserved
    if reserved["short"]:
        progress.end("failed", f"out of stock: {', '.join(reserved['short'])}")
        raise Cancelled("out_of_stock", charged=False)
    progress.end()
    return reserved


def _charge(
    ctx: DaprWorkflowContext, progress: Progress, order: CheckoutInput, cancel: Any
) -> Saga:
    progress.begin("charge_payment", max_attempts=PAYMENT_ATTEMPTS)
    request: ChargeRequest = {
        "order_id": ctx.instance_id,
        "amount_cents": order["total_cents"],
        "currency": order["currency"],
        "payment_token": order["payment_token"],
    }
    charge = yield from _charge_until_answered(ctx, progress, request, cancel)
    if charge["status"] in ("declined", "rejected"):
        progress.end("failed", "declined")
        raise Cancelled("payment_declined", charged=True)
    if charge["status"] == "requires_action":
        if order["payment_action_timeout_seconds"] <= 0:
            progress.end("failed", "payments that wait for the customer are switched off")
            raise Cancelled("payment_action_not_allowed", charged=True)
        progress.end("waiting", "the customer must confirm the payment")
        yield from _await_customer(ctx, progress, order, cancel)
        return
    if charge["status"] != "captured":
        progress.end("failed", charge["status"])
        raise Cancelled("payment_failed", charged=True)
    progress.end()


def _charge_until_answered(
    ctx: DaprWorkflowContext, progress: Progress, request: ChargeRequest, cancel: Any
) -> Generator[Any, Any, ChargeResult]:
    """No activity retries: the sidecar's resiliency policy retries each call, and only an
    unavailable provider (not a timeout, whose charge may have happened) is worth a wait."""
    for attempt in range(1, PAYMENT_ATTEMPTS + 1):
        charging: Any = ctx.call_activity(charge_payment, input=request)
        yield from _unless_cancelled(progress, cancel, [charging], charged=True)
        try:
            result: ChargeResult = charging.get_result()
            return result
        except TaskFailedError as error:
            if _failed_with(error, PaymentsUnavailable) and attempt < PAYMENT_ATTEMPTS:
                progress.retrying(attempt + 1, error.details.message)
                pause = ctx.create_timer(timedelta(seconds=min(2**attempt, 10)))
                yield from _unless_cancelled(progress, cancel, [pause], charged=True)
                continue
            progress.end("failed", error.details.message)
            timed_out = _failed_with(error, PaymentTimeout)
            reason = "payment_timeout" if timed_out else "payment_failed"
            raise Cancelled(reason, charged=True) from error
    raise AssertionError("the last attempt either answers or cancels")


def _await_customer(
    ctx: DaprWorkflowContext, progress: Progress, order: CheckoutInput, cancel: Any
) -> Saga:
    progress.begin("await_payment_confirmation")
    confirmed = ctx.wait_for_external_event(PAYMENT_CONFIRMED_EVENT)
    timeout = ctx.create_timer(timedelta(seconds=order["payment_action_timeout_seconds"]))
    first = yield from _unless_cancelled(progress, cancel, [confirmed, timeout], charged=True)
    if first is timeout:
        progress.end("failed", "the customer did not confirm in time")
        raise Cancelled("payment_timeout", charged=True)
    progress.end()


def _confirm(ctx: DaprWorkflowContext, progress: Progress, order: CheckoutInput) -> Saga:
    """Past the charge, only retries: committing held stock and confirming cannot be refused."""
    progress.begin("confirm_order", max_attempts=COMPENSATION_RETRY.max_number_of_attempts)
    confirming: ConfirmRequest = {
        "order_id": ctx.instance_id,
        "lines": order["lines"],
        "at": utc_iso(ctx.current_utc_datetime),
    }
    yield ctx.call_activity(confirm_order, input=confirming, retry_policy=COMPENSATION_RETRY)
    progress.end()
    if not ctx.is_replaying:
        log.info("order %s confirmed", ctx.instance_id)


def _compensate(
    ctx: DaprWorkflowContext, progress: Progress, order: CheckoutInput, cancelled: Cancelled
) -> Saga:
    """Undoes in reverse order; each compensation is idempotent and safe when nothing was done."""
    attempts = COMPENSATION_RETRY.max_number_of_attempts
    if cancelled.charged:
        progress.begin("refund_payment", compensation=True, max_attempts=attempts)
        refunding: OrderRequest = {"order_id": ctx.instance_id}
        yield ctx.call_activity(refund_payment, input=refunding, retry_policy=COMPENSATION_RETRY)
        progress.end()
    progress.begin("release_stock", compensation=True, max_attempts=attempts)
    releasing = _stock(ctx, order)
    yield ctx.call_activity(release_stock, input=releasing, retry_policy=COMPENSATION_RETRY)
    progress.end()
    progress.begin("cancel_order", compensation=True, max_attempts=attempts)
    cancelling: CancelRequest = {
        "order_id": ctx.instance_id,
        "reason": cancelled.reason,
        "at": utc_iso(ctx.current_utc_datetime),
    }
    yield ctx.call_activity(cancel_order, input=cancelling, retry_policy=COMPENSATION_RETRY)
    progress.end()
    if not ctx.is_replaying:
        log.info("order %s cancelled: %s", ctx.instance_id, cancelled.reason)


def _failed_with(error: TaskFailedError, kind: type[Exception]) -> bool:
    return error.details.error_type == kind.__name__


def _stock(ctx: DaprWorkflowContext, order: CheckoutInput) -> StockRequest:
    return {"order_id": ctx.instance_id, "lines": order["lines"]}
