"""Catalog items as Inventory actors, through the public API and the real runtime."""

import asyncio
import uuid
from typing import Any

import httpx
import pytest

from devstack.stack import RunningApp
from tests.support.api import sidecar_async_client
from tests.support.catalog import new_item
from tests.support.eventually import eventually


def test_create_and_get_an_item(orders_api: httpx.Client) -> None:
    item = new_item(orders_api, stock=7)

    assert item == {**item, "available": 7, "reserved": 0, "price_cents": 250}
    assert orders_api.get(f"/api/v1/items/{item['sku']}").json() == item


def test_create_again_is_a_replay_and_another_definition_a_conflict(
    orders_api: httpx.Client,
) -> None:
    item = new_item(orders_api)
    same = {"sku": item["sku"], "name": "Tea", "price_cents": 250, "stock": 10}
    other = {**same, "price_cents": 999}

    assert orders_api.post("/api/v1/items", json=same).status_code == 201
    conflict = orders_api.post("/api/v1/items", json=other)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"


def test_client_mistakes_are_problems_not_server_errors(orders_api: httpx.Client) -> None:
    unknown = orders_api.get("/api/v1/items/no-such-sku")
    negative = orders_api.post(
        "/api/v1/items", json={"sku": "x", "name": "n", "price_cents": -1, "stock": 1}
    )
    extra = orders_api.post(
        "/api/v1/items",
        json={"sku": "x", "name": "n", "price_cents": 1, "stock": 1, "owner": "me"},
    )
    bad_sku = orders_api.post(
        "/api/v1/items", json={"sku": "../x", "name": "n", "price_cents": 1, "stock": 1}
    )

    assert [r.status_code for r in (unknown, negative, extra, bad_sku)] == [404, 422, 422, 422]
    assert all(r.headers["content-type"] == "application/problem+json" for r in (unknown, extra))


def test_restock_is_idempotent_on_the_idempotency_key(orders_api: httpx.Client) -> None:
    sku = new_item(orders_api, stock=1)["sku"]
    key = {"Idempotency-Key": uuid.uuid4().hex}

    first = orders_api.post(f"/api/v1/items/{sku}/restock", json={"quantity": 4}, headers=key)
    again = orders_api.post(f"/api/v1/items/{sku}/restock", json={"quantity": 4}, headers=key)

    assert first.json()["available"] == again.json()["available"] == 5


# Keys the actor names a restock's record after, holding what JSON must escape (a quote, a
# backslash, a tab) or would read as another character (issue #24: the fuzzer's key with a
# quote made the actor's state transaction malformed, and the client got a bare 500).
AWKWARD_KEYS = ['a "quoted" key', "back\\slash", "tab\there", "u\\u0041x", 'e\\"q']


@pytest.mark.parametrize("key", AWKWARD_KEYS)
def test_a_restock_key_that_json_must_escape_restocks(orders_api: httpx.Client, key: str) -> None:
    sku = new_item(orders_api, stock=0)["sku"]

    answer = orders_api.post(
        f"/api/v1/items/{sku}/restock", json={"quantity": 7}, headers={"Idempotency-Key": key}
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["available"] == 7


def test_a_restock_record_is_read_back_under_the_name_it_was_saved_by(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    """A shipment delivered twice reaches the actor twice: the second must find the record
    the first saved, even when the shipment id holds what JSON reads as an escape."""
    sku = new_item(orders_api, stock=0)["sku"]
    restock = {"quantity": 3, "ref": "shipment:u\\u0041x"}

    for _ in range(2):
        response = orders_sidecar.put(f"/v1.0/actors/Inventory/{sku}/method/Restock", json=restock)
        assert response.json()["ok"], response.text

    assert orders_api.get(f"/api/v1/items/{sku}").json()["available"] == 3


def test_concurrent_reservations_never_oversell(
    orders_api: httpx.Client, orders: RunningApp
) -> None:
    """200 reservations of one unit race for 50: the actor's turns let exactly 50 through."""
    sku = new_item(orders_api, stock=50)["sku"]

    async def reserve_all() -> list[dict[str, Any]]:
        url = f"/v1.0/actors/Inventory/{sku}/method/Reserve"
        async with sidecar_async_client(orders, timeout=60.0) as client:

            async def reserve(n: int) -> dict[str, Any]:
                response = await client.put(url, json={"order_id": f"o-{n}", "quantity": 1})
                response.raise_for_status()
                outcome: dict[str, Any] = response.json()
                return outcome

            return await asyncio.gather(*(reserve(n) for n in range(200)))

    outcomes = asyncio.run(reserve_all())

    granted = [o for o in outcomes if o["ok"]]
    refused = [o for o in outcomes if not o["ok"]]
    assert len(granted) == 50
    assert {o["error"] for o in refused} == {"OutOfStock"}
    item = orders_api.get(f"/api/v1/items/{sku}").json()
    assert (item["available"], item["reserved"]) == (0, 50)


def test_item_list_pages_through_the_read_model(orders_api: httpx.Client) -> None:
    skus = {new_item(orders_api)["sku"] for _ in range(5)}

    def all_listed() -> set[str] | None:
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = orders_api.get("/api/v1/items", params=params).json()
            assert len(page["items"]) <= 2
            seen |= {item["sku"] for item in page["items"]}
            if (cursor := page["next_cursor"]) is None:
                return seen if skus <= seen else None

    assert skus <= eventually(all_listed, what="the new items in the list")
