"""Feature flags at the API: the per-order limit refuses before anything starts, and the
payment flag reaches the saga's input. The store is a fake that announces each change."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World
from tests.api.test_validation import assert_problem

# As many items as an order may have lines, each with stock for the largest line.
SKUS = [f"tea-{n}" for n in range(50)]


def stock(api: TestClient, admin: dict[str, str], count: int) -> None:
    for sku in SKUS[:count]:
        item = {"sku": sku, "name": "Tea", "price_cents": 450, "stock": 1000}
        assert api.post("/api/v1/items", json=item, headers=admin).status_code == 201


@pytest.fixture
def catalog(api: TestClient, admin: dict[str, str]) -> None:
    stock(api, admin, 2)


def order(*quantities: int, token: str = "tok_ok") -> dict[str, Any]:
    lines = [{"sku": sku, "quantity": q} for sku, q in zip(SKUS, quantities, strict=False)]
    return {"lines": lines, "payment_token": token}


def place(api: TestClient, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return api.post("/api/v1/orders", json=body, headers=headers)


def test_without_flags_the_largest_valid_order_is_taken(
    api: TestClient, admin: dict[str, str], customer: dict[str, str], world: World
) -> None:
    stock(api, admin, len(SKUS))

    assert place(api, customer, order(*[1000] * 50)).status_code == 202
    assert len(world.sagas.calls) == 1


@pytest.mark.usefixtures("catalog")
def test_an_order_over_the_limit_is_a_422_and_starts_nothing(
    api: TestClient, customer: dict[str, str], world: World
) -> None:
    world.flag_store.set("max_items_per_order", "3")

    problem = assert_problem(place(api, customer, order(2, 2)), 422)

    assert problem["error"] == "TooManyItems" and problem["max_items_per_order"] == 3
    assert "at most 3 items" in problem["detail"] and "holds 4" in problem["detail"]
    assert world.orders.orders == {} and world.sagas.calls == []
    assert place(api, customer, order(1, 2)).status_code == 202


def test_the_limit_is_checked_before_the_catalog(
    api: TestClient, customer: dict[str, str], world: World
) -> None:
    world.flag_store.set("max_items_per_order", "3")

    body = {"lines": [{"sku": "nothing", "quantity": 5}], "payment_token": "tok_ok"}
    problem = assert_problem(place(api, customer, body), 422)

    assert problem["error"] == "TooManyItems"


@pytest.mark.usefixtures("catalog")
def test_a_malformed_or_removed_limit_is_the_default(
    api: TestClient, customer: dict[str, str], world: World
) -> None:
    world.flag_store.set("max_items_per_order", "a few")
    assert place(api, customer, order(4)).status_code == 202

    world.flag_store.set("max_items_per_order", "3")
    world.flag_store.delete("max_items_per_order")
    assert place(api, customer, order(4)).status_code == 202


@pytest.mark.usefixtures("catalog")
def test_the_payment_flag_decides_whether_the_saga_waits_for_the_customer(
    api: TestClient, customer: dict[str, str], world: World
) -> None:
    waits = place(api, customer, order(1, token="tok_action")).json()["id"]
    world.flag_store.set("payment_action_may_wait", "false")
    does_not_wait = place(api, customer, order(1, token="tok_action")).json()["id"]

    assert world.sagas.inputs[waits]["payment_action_timeout_seconds"] == 600
    assert world.sagas.inputs[does_not_wait]["payment_action_timeout_seconds"] == 0
