"""Order routes: placing an order starts its checkout saga; reads come from the Order actor
and the orders read model. A customer sees only their own orders: anyone else's is a 404."""

import asyncio
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query, Response

from actors.clients import InventoryActors, OrderActors
from actors.messages import OrderLine, Payment
from actors.messages import OrderView as OrderDocument
from app.api.deps import (
    CurrentUser,
    CustomerUser,
    FlagsDep,
    InventoryDep,
    OrdersDep,
    Principal,
    ReadModelsDep,
    SagasDep,
    SettingsDep,
)
from app.api.models import (
    Cursor,
    Limit,
    OrderCreate,
    OrderIdPath,
    OrderSummary,
    OrderView,
    Page,
    SagaView,
)
from app.checkout import request_cancel, saga_input, saga_view, start_saga
from app.flags import enforce_max_items
from app.read_models import ReadModels, catalog_key
from domain.errors import InvalidOrder

router = APIRouter(prefix="/orders", tags=["orders"])
Status = Annotated[str | None, Query(pattern="^(pending|confirmed|cancelled)$")]
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=128)]


def new_order_id(now: datetime, user: Principal, idempotency_key: str | None) -> str:
    """Sortable by time; the same caller's same Idempotency-Key always names the same order."""
    if idempotency_key is None:
        return f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"
    digest = hashlib.sha256(f"{user.id}\n{idempotency_key}".encode()).hexdigest()
    return f"key-{digest[:32]}"


@router.post("", status_code=202)
async def place_order(
    body: OrderCreate,
    read_models: ReadModelsDep,
    inventory: InventoryDep,
    orders: OrdersDep,
    sagas: SagasDep,
    settings: SettingsDep,
    flags: FlagsDep,
    user: CustomerUser,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    enforce_max_items((line.quantity for line in body.lines), flags)
    now = datetime.now(UTC)
    order_id = new_order_id(now, user, idempotency_key)
    lines = await asyncio.gather(
        *(_priced_line(read_models, inventory, line.sku, line.quantity) for line in body.lines)
    )
    payment: Payment = {
        "currency": settings.currency,
        "payment_token": body.payment_token,
        # 0: the saga does not wait for the customer (flag `payment_action_may_wait`).
        "payment_action_timeout_seconds": (
            settings.payment_action_timeout_seconds if flags.payment_action_may_wait else 0
        ),
    }
    order = await orders.place(
        order_id,
        {"customer_id": user.id, "lines": list(lines), "at": now.isoformat(), "payment": payment},
    )
    if order["status"] == "pending":
        # A random order id is new; one derived from an Idempotency-Key may be a replay.
        saga = saga_input(order, payment)
        await start_saga(sagas, order_id, saga, may_exist=idempotency_key is not None)
    response.headers["Location"] = f"/api/v1/orders/{order_id}"
    return OrderView.model_validate(order)


@router.get("/{order_id}")
async def get_order(order_id: OrderIdPath, orders: OrdersDep, user: CurrentUser) -> OrderView:
    return OrderView.model_validate(await visible_order(orders, user, order_id))


@router.get("")
async def list_orders(
    read_models: ReadModelsDep,
    user: CurrentUser,
    status: Status = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[OrderSummary]:
    """The caller's orders (an admin's: everyone's), newest first."""
    customer = None if user.is_admin else user.id
    page = await read_models.orders_page(customer, status, limit, cursor)
    items = [OrderSummary.model_validate(order) for order in page.documents]
    return Page[OrderSummary](items=items, next_cursor=page.next_cursor)


@router.post("/{order_id}/cancel", status_code=202)
async def cancel_order(
    order_id: OrderIdPath, orders: OrdersDep, sagas: SagasDep, user: CurrentUser
) -> OrderView:
    """Asks the saga to compensate; a confirmed order cannot be cancelled (409)."""
    order = await visible_order(orders, user, order_id)
    if order["status"] == "confirmed":
        raise HTTPException(409, f"Order {order_id!r} is already confirmed.")
    if order["status"] == "pending":
        await request_cancel(sagas, order_id)
    return OrderView.model_validate(order)


@router.get("/{order_id}/saga")
async def get_saga(
    order_id: OrderIdPath, orders: OrdersDep, sagas: SagasDep, user: CurrentUser
) -> SagaView:
    await visible_order(orders, user, order_id)
    saga = await saga_view(sagas, order_id)
    if saga is None:
        raise HTTPException(404, f"The saga of order {order_id!r} is gone (purged).")
    return SagaView.model_validate(saga)


async def visible_order(orders: OrderActors, user: Principal, order_id: str) -> OrderDocument:
    order = await orders.get(order_id)
    if order is None or not (user.is_admin or order["customer_id"] == user.id):
        raise HTTPException(404, f"No order {order_id!r}.")
    return order


async def _priced_line(
    read_models: ReadModels, inventory: InventoryActors, sku: str, quantity: int
) -> OrderLine:
    """Prices come from the catalog read model (an item's price never changes); an item too
    new to be there yet is asked of its actor."""
    item = await read_models.get(catalog_key(sku)) or await inventory.get(sku)
    if item is None:
        raise InvalidOrder(f"no item {sku!r} in the catalog")
    return {"sku": sku, "quantity": quantity, "unit_price_cents": item["price_cents"]}
