"""The checkout saga: reserve stock, charge, then confirm, or compensate in reverse order.

A deterministic generator: it only yields activities, timers and external events, takes time
from the context, and logs only when not replaying. Any way it ends, the order is confirmed
or fully compensated: stock released, money refunded, order cancelled with a reason.
"""

import logging
from collections.abc import Generator
from datetime import timedelta
from typing import Any

from dapr.ext.workflow import DaprWorkflowContext, RetryPolicy, TaskFailedError, when_all, when_any

from workflows.progress import Progress, utc_iso

log = logging.getLogger(__name__)

CANCEL_EVENT = "cancel_requested"
PAYMENT_CONFIRMED_EVENT = "payment_confirmed"

STEP_RETRY = RetryPolicy(
    first_retry_interval=timedelta(seconds=1),
    max_number_of_attempts=3,
    backoff_coefficient=2.0,
    max_retry_interval=timedelta(seconds=5),
)
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

Saga = Generator[Any, Any, dict[str, Any]]


class Cancelled(Exception):
    """Internal: a step ended in a way that cancels the order with `reason`."""

    def __init__(self, reason: str, *, charged: bool) -> None:
        super().__init__(reason)
        self.reason, self.charged = reason, charged


def checkout(ctx: DaprWorkflowContext, order: dict[str, Any]) -> Saga:
    """`order`: {lines: [{sku, quantity}], total_cents, currency, payment_token,
    payment_action_timeout_seconds}; the instance id is the order id."""
    progress = Progress(ctx)
    status = yield ctx.call_activity("order_status", input=ctx.instance_id, retry_policy=STEP_RETRY)
    if status != "pending":
        return {"status": status, "replayed": True}
    cancel = ctx.wait_for_external_event(CANCEL_EVENT)
    try:
        yield from _reserve(ctx, progress, order, cancel)
        yield from _charge(ctx, progress, order, cancel)
    except Cancelled as cancelled:
        return (yield from _compensate(ctx, progress, order, cancelled))
    return (yield from _confirm(ctx, progress, order))


def _reserve(
    ctx: DaprWorkflowContext, progress: Progress, order: dict[str, Any], cancel: Any
) -> Saga:
    progress.begin("reserve_stock", max_attempts=RESERVE_RETRY.max_number_of_attempts)
    reserving: Any = when_all(
        [
            ctx.call_activity("reserve_line", input=_line(ctx, line), retry_policy=RESERVE_RETRY)
            for line in order["lines"]
        ]
    )
    first = yield when_any([reserving, cancel])
    if first is cancel:
        progress.end("interrupted", "cancelled by the customer")
        raise Cancelled("cancelled_by_customer", charged=False)
    try:
        results: list[dict[str, Any]] = reserving.get_result()
    except TaskFailedError as error:
        progress.end("failed", error.details.message)
        raise Cancelled("reservation_failed", charged=False) from error
    short = [result["sku"] for result in results if not result["reserved"]]
    if short:
        progress.end("failed", f"out of stock: {', '.join(short)}")
        raise Cancelled("out_of_stock", charged=False)
    progress.end()
    return {}


def _charge(
    ctx: DaprWorkflowContext, progress: Progress, order: dict[str, Any], cancel: Any
) -> Saga:
    progress.begin("charge_payment", max_attempts=PAYMENT_ATTEMPTS)
    request = {
        "order_id": ctx.instance_id,
        "amount_cents": order["total_cents"],
        "currency": order["currency"],
        "payment_token": order["payment_token"],
    }
    charge: dict[str, Any] = {}
    for attempt in range(1, PAYMENT_ATTEMPTS + 1):
        # No activity retries: the sidecar's resiliency policy retries each call, and only an
        # unavailable provider (not a timeout, whose charge may have happened) is worth a wait.
        charging: Any = ctx.call_activity("charge_payment", input=request)
        first = yield when_any([charging, cancel])
        if first is cancel:
            progress.end("interrupted", "cancelled by the customer")
            raise Cancelled("cancelled_by_customer", charged=True)
        try:
            charge = charging.get_result()
            break
        except TaskFailedError as error:
            unavailable = error.details.error_type == "PaymentsUnavailable"
            if unavailable and attempt < PAYMENT_ATTEMPTS:
                progress.retrying(attempt + 1, error.details.message)
                pause = ctx.create_timer(timedelta(seconds=min(2**attempt, 10)))
                if (yield when_any([pause, cancel])) is cancel:
                    progress.end("interrupted", "cancelled by the customer")
                    raise Cancelled("cancelled_by_customer", charged=True) from error
                continue
            timed_out = error.details.error_type == "PaymentTimeout"
            progress.end("failed", error.details.message)
            raise Cancelled(
                "payment_timeout" if timed_out else "payment_failed", charged=True
            ) from error
    if charge["status"] in ("declined", "rejected"):
        progress.end("failed", "declined")
        raise Cancelled("payment_declined", charged=True)
    if charge["status"] == "requires_action":
        progress.end("waiting", "the customer must confirm the payment")
        yield from _await_customer(ctx, progress, order, cancel)
        return {}
    if charge["status"] != "captured":
        progress.end("failed", charge["status"])
        raise Cancelled("payment_failed", charged=True)
    progress.end()
    return {}


def _await_customer(
    ctx: DaprWorkflowContext, progress: Progress, order: dict[str, Any], cancel: Any
) -> Saga:
    progress.begin("await_payment_confirmation")
    confirmed = ctx.wait_for_external_event(PAYMENT_CONFIRMED_EVENT)
    timeout = ctx.create_timer(timedelta(seconds=order["payment_action_timeout_seconds"]))
    first = yield when_any([confirmed, timeout, cancel])
    if first is cancel:
        progress.end("interrupted", "cancelled by the customer")
        raise Cancelled("cancelled_by_customer", charged=True)
    if first is timeout:
        progress.end("failed", "the customer did not confirm in time")
        raise Cancelled("payment_timeout", charged=True)
    progress.end()
    return {}


def _confirm(ctx: DaprWorkflowContext, progress: Progress, order: dict[str, Any]) -> Saga:
    """Past the charge, only retries: committing held stock and confirming cannot be refused."""
    progress.begin("commit_stock", max_attempts=COMPENSATION_RETRY.max_number_of_attempts)
    yield when_all(
        [
            ctx.call_activity(
                "commit_line", input=_line(ctx, line), retry_policy=COMPENSATION_RETRY
            )
            for line in order["lines"]
        ]
    )
    progress.end()
    progress.begin("confirm_order", max_attempts=COMPENSATION_RETRY.max_number_of_attempts)
    at = utc_iso(ctx.current_utc_datetime)
    yield ctx.call_activity(
        "confirm_order",
        input={"order_id": ctx.instance_id, "at": at},
        retry_policy=COMPENSATION_RETRY,
    )
    progress.end()
    progress.begin("notify_customer", max_attempts=STEP_RETRY.max_number_of_attempts)
    try:
        yield ctx.call_activity(
            "notify",
            input={"order_id": ctx.instance_id, "event": "confirmed"},
            retry_policy=STEP_RETRY,
        )
        progress.end()
    except TaskFailedError as error:
        progress.end("failed", error.details.message)  # the order stays confirmed
    if not ctx.is_replaying:
        log.info("order %s confirmed", ctx.instance_id)
    return {"status": "confirmed", "reason": None}


def _compensate(
    ctx: DaprWorkflowContext, progress: Progress, order: dict[str, Any], cancelled: Cancelled
) -> Saga:
    """Undoes in reverse order; each compensation is idempotent and safe when nothing was done."""
    if cancelled.charged:
        progress.begin(
            "refund_payment",
            compensation=True,
            max_attempts=COMPENSATION_RETRY.max_number_of_attempts,
        )
        yield ctx.call_activity(
            "refund_payment", input={"order_id": ctx.instance_id}, retry_policy=COMPENSATION_RETRY
        )
        progress.end()
    progress.begin(
        "release_stock", compensation=True, max_attempts=COMPENSATION_RETRY.max_number_of_attempts
    )
    yield when_all(
        [
            ctx.call_activity(
                "release_line", input=_line(ctx, line), retry_policy=COMPENSATION_RETRY
            )
            for line in order["lines"]
        ]
    )
    progress.end()
    progress.begin(
        "cancel_order", compensation=True, max_attempts=COMPENSATION_RETRY.max_number_of_attempts
    )
    at = utc_iso(ctx.current_utc_datetime)
    yield ctx.call_activity(
        "cancel_order",
        input={"order_id": ctx.instance_id, "reason": cancelled.reason, "at": at},
        retry_policy=COMPENSATION_RETRY,
    )
    progress.end()
    if not ctx.is_replaying:
        log.info("order %s cancelled: %s", ctx.instance_id, cancelled.reason)
    return {"status": "cancelled", "reason": cancelled.reason}


def _line(ctx: DaprWorkflowContext, line: dict[str, Any]) -> dict[str, Any]:
    return {"order_id": ctx.instance_id, "sku": line["sku"], "quantity": line["quantity"]}
