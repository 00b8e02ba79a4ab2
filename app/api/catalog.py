"""Catalog routes: items are Inventory actors; the list comes from the catalog read model."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException

from app.api.deps import AdminUser, InventoryDep, ReadModelsDep, SettingsDep
from app.api.models import Cursor, ItemCreate, ItemView, Limit, Page, Restock, SkuPath
from common.keys import opaque

router = APIRouter(prefix="/items", tags=["catalog"])


@router.post("", status_code=201)
async def create_item(
    body: ItemCreate, inventory: InventoryDep, settings: SettingsDep, _admin: AdminUser
) -> ItemView:
    item = await inventory.create(
        body.sku,
        {
            "name": body.name,
            "price_cents": body.price_cents,
            "stock": body.stock,
            "low_stock_threshold": settings.low_stock_threshold,
        },
    )
    return ItemView.model_validate(item)


@router.get("/{sku}")
async def get_item(sku: SkuPath, inventory: InventoryDep) -> ItemView:
    item = await inventory.get(sku)
    if item is None:
        raise HTTPException(404, f"No item {sku!r}.")
    return ItemView.model_validate(item)


@router.get("")
async def list_items(
    read_models: ReadModelsDep, limit: Limit = 20, cursor: Cursor = None
) -> Page[ItemView]:
    """Newest items first."""
    page = await read_models.catalog_page(limit, cursor)
    items = [ItemView.model_validate(item) for item in page.documents]
    return Page[ItemView](items=items, next_cursor=page.next_cursor)


@router.post("/{sku}/restock")
async def restock_item(
    sku: SkuPath,
    body: Restock,
    inventory: InventoryDep,
    admin: AdminUser,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> ItemView:
    """Restocks once per caller and `Idempotency-Key` (the same key with another quantity is
    a 409); without a key, every call restocks."""
    ref = f"api:{opaque(admin.id, idempotency_key)}" if idempotency_key else f"api:{uuid.uuid4()}"
    change = await inventory.restock(sku, body.quantity, ref)
    return ItemView.model_validate(change["item"])
