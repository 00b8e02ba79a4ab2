"""The checkout saga's activities: plain async functions of their dependencies and input.

They run at least once, so each is idempotent on the order id. A domain refusal that retrying
cannot change comes back as a value; anything else raises and the workflow's policy retries.
"""

from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from actors.clients import InventoryActors, OrderActors
from actors.outcome import Refused
from common.bindings import Notifications
from domain.errors import NotFound, OutOfStock, ReservationClosed
from workflows.activity import Activity, activity
from workflows.messages import (
    CancelRequest,
    ChargeRequest,
    ChargeResult,
    ConfirmRequest,
    LineRequest,
    NotifyRequest,
    OrderRequest,
    ReservedLine,
)
from workflows.payments import Payments

RESERVATIONS = Counter("stock_reservations", "Reservation attempts, by outcome.", ["outcome"])


@dataclass(frozen=True)
class CheckoutDependencies:
    inventory: InventoryActors
    orders: OrderActors
    payments: Payments
    notifications: Notifications


@activity
async def order_status(deps: CheckoutDependencies, order_id: str) -> str | None:
    order = await deps.orders.get(order_id)
    return order["status"] if order else None


@activity
async def reserve_line(deps: CheckoutDependencies, line: LineRequest) -> ReservedLine:
    try:
        await deps.inventory.reserve(line["sku"], line["order_id"], line["quantity"])
    except Refused as refusal:
        # Retrying cannot turn these into a reservation.
        if not refusal.is_a(OutOfStock, ReservationClosed, NotFound):
            raise
        RESERVATIONS.labels("refused").inc()
        return {"sku": line["sku"], "reserved": False, "reason": refusal.error}
    RESERVATIONS.labels("granted").inc()
    return {"sku": line["sku"], "reserved": True, "reason": None}


@activity
async def release_line(deps: CheckoutDependencies, line: LineRequest) -> None:
    try:
        await deps.inventory.release(line["sku"], line["order_id"])
    except Refused as refusal:
        if not refusal.is_a(NotFound):
            raise


@activity
async def commit_line(deps: CheckoutDependencies, line: LineRequest) -> None:
    await deps.inventory.commit(line["sku"], line["order_id"])


@activity
async def charge_payment(deps: CheckoutDependencies, charge: ChargeRequest) -> ChargeResult:
    return await deps.payments.charge(charge)


@activity
async def refund_payment(deps: CheckoutDependencies, request: OrderRequest) -> str:
    return await deps.payments.refund(request["order_id"])


@activity
async def confirm_order(deps: CheckoutDependencies, request: ConfirmRequest) -> None:
    await deps.orders.confirm(request["order_id"], request["at"])


@activity
async def cancel_order(deps: CheckoutDependencies, request: CancelRequest) -> None:
    await deps.orders.cancel(request["order_id"], request["reason"], request["at"])


@activity
async def notify(deps: CheckoutDependencies, request: NotifyRequest) -> None:
    """One name per order and event, so a retried notification overwrites itself: a file
    name for local storage, a URL path for an HTTP webhook."""
    order = await deps.orders.get(request["order_id"])
    await deps.notifications.send(
        f"{request['order_id']}-{request['event']}.json", dict(order or {})
    )


# Everything the checkout saga may call; the worker registers exactly these.
CHECKOUT_ACTIVITIES: tuple[Activity[CheckoutDependencies, Any, Any], ...] = (
    order_status,
    reserve_line,
    release_line,
    commit_line,
    charge_payment,
    refund_payment,
    confirm_order,
    cancel_order,
    notify,
)
