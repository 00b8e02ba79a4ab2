"""The checkout saga's activities: plain async functions of their dependencies and input.

They run at least once, so each is idempotent on the order id. A domain refusal that retrying
cannot change comes back as a value; anything else raises and the workflow's policy retries.

The order id they get is the saga's instance id: the Order actor's id, scoped by tenant. So
are the charges `payments` keeps (one per order id), and an order's SKUs are that tenant's
Inventory actors (`id_beside`): a saga reaches nothing of another tenant.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter

from actors.clients import InventoryActors, OrderActors
from actors.outcome import Refused
from common.tenancy import id_beside
from domain.errors import NotFound, OutOfStock, ReservationClosed
from workflows.activity import Activity, activity
from workflows.messages import (
    CancelRequest,
    ChargeRequest,
    ChargeResult,
    ConfirmRequest,
    OrderRequest,
    Reserved,
    ReservedLine,
    SagaLine,
    StockRequest,
)
from workflows.payments import Payments

RESERVATIONS = Counter("stock_reservations", "Reservation attempts, by outcome.", ["outcome"])


@dataclass(frozen=True)
class CheckoutDependencies:
    inventory: InventoryActors
    orders: OrderActors
    payments: Payments


@activity
async def reserve_stock(deps: CheckoutDependencies, request: StockRequest) -> Reserved:
    """Holds every line, if the order is still pending (a saga run again for an order that
    already ended does nothing); each line is held once per order however often this runs."""
    order = await deps.orders.get(request["order_id"])
    status = order["status"] if order else None
    if status != "pending":
        return {"pending": False, "status": status, "short": []}
    lines = await asyncio.gather(
        *(_reserve(deps, request["order_id"], line) for line in request["lines"])
    )
    short = [line["sku"] for line in lines if not line["reserved"]]
    return {"pending": True, "status": status, "short": short}


async def _reserve(deps: CheckoutDependencies, order_id: str, line: SagaLine) -> ReservedLine:
    try:
        await deps.inventory.reserve(id_beside(order_id, line["sku"]), order_id, line["quantity"])
    except Refused as refusal:
        # Retrying cannot turn these into a reservation.
        if not refusal.is_a(OutOfStock, ReservationClosed, NotFound):
            raise
        RESERVATIONS.labels("refused").inc()
        return {"sku": line["sku"], "reserved": False, "reason": refusal.error}
    RESERVATIONS.labels("granted").inc()
    return {"sku": line["sku"], "reserved": True, "reason": None}


@activity
async def release_stock(deps: CheckoutDependencies, request: StockRequest) -> None:
    """Gives back what the order holds, line by line; a line it never held closes."""
    await asyncio.gather(*(_release(deps, request["order_id"], line) for line in request["lines"]))


async def _release(deps: CheckoutDependencies, order_id: str, line: SagaLine) -> None:
    try:
        await deps.inventory.release(id_beside(order_id, line["sku"]), order_id)
    except Refused as refusal:
        if not refusal.is_a(NotFound):
            raise


@activity
async def charge_payment(deps: CheckoutDependencies, charge: ChargeRequest) -> ChargeResult:
    return await deps.payments.charge(charge)


@activity
async def refund_payment(deps: CheckoutDependencies, request: OrderRequest) -> str:
    return await deps.payments.refund(request["order_id"])


@activity
async def confirm_order(deps: CheckoutDependencies, request: ConfirmRequest) -> None:
    """The held units leave the warehouse, then the order is confirmed: both cannot be
    refused past the charge, and both are idempotent, so a retry finishes the job."""
    order_id = request["order_id"]
    skus = [id_beside(order_id, line["sku"]) for line in request["lines"]]
    await asyncio.gather(*(deps.inventory.commit(sku, order_id) for sku in skus))
    await deps.orders.confirm(order_id, request["at"])


@activity
async def cancel_order(deps: CheckoutDependencies, request: CancelRequest) -> None:
    await deps.orders.cancel(request["order_id"], request["reason"], request["at"])


# Everything the checkout saga may call; the worker registers exactly these.
CHECKOUT_ACTIVITIES: tuple[Activity[CheckoutDependencies, Any, Any], ...] = (
    reserve_stock,
    release_stock,
    charge_payment,
    refund_payment,
    confirm_order,
    cancel_order,
)
