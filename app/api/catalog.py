"""Catalog routes: items are Inventory actors; the list comes from the catalog read model."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Query

from app.api.deps import AdminUser
from app.api.models import ItemCreate, ItemView, Page, Restock, SkuPath
from app.services import ServicesDep
from app.subscriptions import CATALOG_INDEX, catalog_key

router = APIRouter(prefix="/items", tags=["catalog"])


@router.post("", status_code=201)
async def create_item(body: ItemCreate, services: ServicesDep, _admin: AdminUser) -> ItemView:
    definition = body.model_dump(exclude={"sku"})
    definition["low_stock_threshold"] = services.settings.low_stock_threshold
    return ItemView.model_validate(await services.inventory.create(body.sku, definition))


@router.get("/{sku}")
async def get_item(sku: SkuPath, services: ServicesDep) -> ItemView:
    item = await services.inventory.get(sku)
    if item is None:
        raise HTTPException(404, f"No item {sku!r}.")
    return ItemView.model_validate(item)


@router.get("")
async def list_items(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[ItemView]:
    items, next_cursor = await services.read_models.page(
        CATALOG_INDEX, catalog_key, limit=limit, cursor=cursor
    )
    return Page[ItemView](
        items=[ItemView.model_validate(item) for item in items], next_cursor=next_cursor
    )


@router.post("/{sku}/restock")
async def restock_item(
    sku: SkuPath,
    body: Restock,
    services: ServicesDep,
    _admin: AdminUser,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ItemView:
    """Restocks once per `Idempotency-Key`; without one, every call restocks."""
    ref = f"api:{idempotency_key}" if idempotency_key else f"api:{uuid.uuid4()}"
    answer = await services.inventory.restock(sku, body.quantity, ref)
    return ItemView.model_validate(answer["item"])
