"""Catalog items made through the public API, for any test that needs stock to sell."""

import uuid
from typing import Any

import httpx


def new_item(api: httpx.Client, stock: int = 10, price_cents: int = 250) -> dict[str, Any]:
    sku = f"sku-{uuid.uuid4().hex[:10]}"
    body = {"sku": sku, "name": "Tea", "price_cents": price_cents, "stock": stock}
    response = api.post("/api/v1/items", json=body)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item
