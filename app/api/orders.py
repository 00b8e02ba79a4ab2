"""Order routes: one order from its actor, lists from the orders read model.

A customer sees only their own orders; anyone else's answers 404, never the data.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from app.api.deps import CurrentUser, Principal
from app.api.models import OrderCreate, OrderSummary, OrderView, Page
from app.services import Services, ServicesDep
from app.subscriptions import ORDERS_INDEX, customer_index, order_key
from domain.errors import InvalidOrder

router = APIRouter(prefix="/orders", tags=["orders"])
Status = Annotated[str | None, Query(pattern="^(pending|confirmed|cancelled)$")]


def new_order_id(now: datetime) -> str:
    """Sortable by creation time, so the newest orders page last and ids never collide."""
    return f"{now:%Y%m%d%H%M%S}-{uuid.uuid4().hex[:12]}"


@router.post("", status_code=202)
async def place_order(
    body: OrderCreate, services: ServicesDep, user: CurrentUser, response: Response
) -> OrderView:
    now = datetime.now(UTC)
    order_id = new_order_id(now)
    lines = [await _priced_line(services, line.sku, line.quantity) for line in body.lines]
    request = {"customer_id": user.id, "lines": lines, "at": now.isoformat()}
    order = await services.orders.place(order_id, request)
    response.headers["Location"] = f"/api/v1/orders/{order_id}"
    return OrderView.model_validate(order)


@router.get("/{order_id}")
async def get_order(order_id: str, services: ServicesDep, user: CurrentUser) -> OrderView:
    return OrderView.model_validate(await visible_order(services, user, order_id))


@router.get("")
async def list_orders(
    services: ServicesDep,
    user: CurrentUser,
    status: Status = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[OrderSummary]:
    index = ORDERS_INDEX if user.is_admin else customer_index(user.id)
    orders, next_cursor = await services.read_models.page(
        index,
        order_key,
        limit=limit,
        cursor=cursor,
        keep=lambda order: status is None or order["status"] == status,
    )
    return Page[OrderSummary](
        items=[OrderSummary.model_validate(order) for order in orders], next_cursor=next_cursor
    )


async def visible_order(services: Services, user: Principal, order_id: str) -> dict[str, Any]:
    order = await services.orders.get(order_id)
    if order is None or not (user.is_admin or order["customer_id"] == user.id):
        raise HTTPException(404, f"No order {order_id!r}.")
    return order


async def _priced_line(services: Services, sku: str, quantity: int) -> dict[str, Any]:
    item = await services.inventory.get(sku)
    if item is None:
        raise InvalidOrder(f"no item {sku!r} in the catalog")
    return {"sku": sku, "quantity": quantity, "unit_price_cents": item["price_cents"]}
