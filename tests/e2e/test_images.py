"""Item pictures through the real runtime: the bytes go through the `images` binding (local
files on the embedded profile, MinIO over S3 on the server profiles) and come back as they
were; a replaced picture's blob is gone, and a refused upload leaves the picture it found."""

import asyncio
import json
import os
import uuid
from typing import Any

import httpx

from devstack.stack import RunningApp
from tests.pictures import JPEG, png
from tests.support.api import new_customer, orders_async_client
from tests.support.catalog import new_item

# About 1.5 MB of incompressible pixels, under the 2 MiB cap.
LARGE_SIDE = 700


def picture_url(sku: str) -> str:
    return f"/api/v1/items/{sku}/image"


def put_png(api: httpx.Client, sku: str, data: bytes, **headers: str) -> httpx.Response:
    return api.put(picture_url(sku), content=data, headers={"content-type": "image/png", **headers})


def stored_image(sidecar: httpx.Client, sku: str) -> dict[str, Any]:
    """What the Inventory actor holds, blob key included (the API does not show the key)."""
    response = sidecar.put(f"/v1.0/actors/Inventory/{sku}/method/Get")
    response.raise_for_status()
    image: dict[str, Any] = response.json()["value"]["image"]
    return image


def blob(sidecar: httpx.Client, key: str) -> httpx.Response:
    """The blob as the binding holds it, asked of the orders sidecar directly."""
    body = {"operation": "get", "metadata": {"fileName": key, "key": key}}
    return sidecar.post("/v1.0/bindings/images", json=body)


def blob_count(sidecar: httpx.Client, sku: str) -> int:
    """How many blobs the binding holds for the item (each component lists its own way)."""
    prefix = f"items/{sku}/"
    if os.environ.get("DAPR_PROFILE", "embedded") == "embedded":
        body: dict[str, Any] = {"operation": "list", "metadata": {"fileName": prefix}}
    else:
        body = {"operation": "list", "data": {"prefix": prefix}}
    response = sidecar.post("/v1.0/bindings/images", json=body)
    response.raise_for_status()
    listed = json.loads(response.content)
    return len(listed) if isinstance(listed, list) else len(listed.get("Contents") or [])


def test_a_picture_comes_back_byte_for_byte(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    sku = new_item(orders_api)["sku"]
    data = png(LARGE_SIDE, seed=1)

    stored = put_png(orders_api, sku, data)
    served = orders_api.get(picture_url(sku))
    held = orders_api.get(picture_url(sku), headers={"If-None-Match": stored.headers["etag"]})

    assert stored.status_code == 200, stored.text
    assert stored.json()["image"]["size"] == len(data) > 1_400_000
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["etag"] == stored.headers["etag"]
    assert held.status_code == 304
    assert blob(orders_sidecar, stored_image(orders_sidecar, sku)["key"]).content == data


def test_a_new_picture_replaces_the_old_and_its_blob_is_deleted(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    sku = new_item(orders_api)["sku"]
    put_png(orders_api, sku, png(64, seed=2))
    old_key = stored_image(orders_sidecar, sku)["key"]
    new = png(64, seed=3)

    replaced = put_png(orders_api, sku, new)

    assert replaced.status_code == 200
    assert orders_api.get(picture_url(sku)).content == new
    assert blob(orders_sidecar, old_key).status_code >= 400
    assert blob(orders_sidecar, stored_image(orders_sidecar, sku)["key"]).content == new
    listed = orders_api.get("/api/v1/items", params={"limit": 100}).json()["items"]
    assert sku in {item["sku"] for item in listed}


def test_a_refused_upload_leaves_the_picture_it_found(
    orders_api: httpx.Client, orders_sidecar: httpx.Client, orders: RunningApp
) -> None:
    sku = new_item(orders_api)["sku"]
    data = png(64, seed=4)
    put_png(orders_api, sku, data)
    before = stored_image(orders_sidecar, sku)

    with new_customer(orders) as customer:
        not_admin = put_png(customer, sku, png(64, seed=5))
    refusals = [
        put_png(orders_api, sku, b"not a picture at all"),
        put_png(orders_api, sku, JPEG),
        put_png(orders_api, sku, png(900, seed=6)),
        orders_api.put(picture_url(sku), content=data, params={"filename": "tea.gif"}),
        put_png(orders_api, "no-such-sku", data),
    ]

    assert [r.status_code for r in [not_admin, *refusals]] == [403, 415, 422, 413, 422, 404]
    assert all(r.headers["content-type"] == "application/problem+json" for r in refusals)
    assert stored_image(orders_sidecar, sku) == before
    assert orders_api.get(picture_url(sku)).content == data


def test_an_upload_is_replayed_on_its_idempotency_key(orders_api: httpx.Client) -> None:
    sku = new_item(orders_api)["sku"]
    key = {"Idempotency-Key": uuid.uuid4().hex}

    first = put_png(orders_api, sku, png(32, seed=7), **key)
    again = put_png(orders_api, sku, png(32, seed=7), **key)
    other = put_png(orders_api, sku, png(32, seed=8), **key)

    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422


def test_concurrent_uploads_leave_one_picture_and_one_blob(
    orders_api: httpx.Client, orders_sidecar: httpx.Client, orders: RunningApp
) -> None:
    sku = new_item(orders_api)["sku"]
    pictures = [png(128, seed=100 + n) for n in range(6)]

    async def upload_all() -> list[int]:
        async with orders_async_client(orders) as api:
            uploads = [put_png_async(api, sku, data) for data in pictures]
            return [response.status_code for response in await asyncio.gather(*uploads)]

    statuses = asyncio.run(upload_all())
    served = orders_api.get(picture_url(sku))

    assert statuses == [200] * len(pictures)
    assert served.content in pictures
    assert served.headers["etag"] == f'"{stored_image(orders_sidecar, sku)["digest"]}"'
    assert blob_count(orders_sidecar, sku) == 1


async def put_png_async(api: httpx.AsyncClient, sku: str, data: bytes) -> httpx.Response:
    return await api.put(picture_url(sku), content=data, headers={"content-type": "image/png"})
