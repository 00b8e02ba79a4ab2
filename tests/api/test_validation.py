"""Every request the API refuses as malformed gets a 422 problem document, and nothing
behind the API is touched."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import World

PROBLEM_JSON = "application/problem+json"
ITEM = {"sku": "tea", "name": "Green tea", "price_cents": 450, "stock": 5}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    return body


@pytest.mark.parametrize(
    "body",
    [
        {**ITEM, "sku": ""},
        {**ITEM, "sku": "has space"},
        {**ITEM, "sku": "x" * 65},
        {**ITEM, "price_cents": -1},
        {**ITEM, "stock": 1_000_001},
        {**ITEM, "name": ""},
        {**ITEM, "colour": "green"},
        {"sku": "tea"},
    ],
)
def test_a_bad_item_is_422_and_creates_nothing(
    api: TestClient, admin: dict[str, str], world: World, body: dict[str, Any]
) -> None:
    problem = assert_problem(api.post("/api/v1/items", json=body, headers=admin), 422)

    assert problem["errors"] and {"loc", "msg", "type"} <= set(problem["errors"][0])
    assert world.inventory.items == {}


@pytest.mark.parametrize(
    "body",
    [
        {"lines": [], "payment_token": "tok_ok"},
        {"lines": [{"sku": "tea", "quantity": 0}], "payment_token": "tok_ok"},
        {"lines": [{"sku": "tea", "quantity": 1001}], "payment_token": "tok_ok"},
        {"lines": [{"sku": "tea", "quantity": 1}] * 51, "payment_token": "tok_ok"},
        {"lines": [{"sku": "tea", "quantity": 1}], "payment_token": ""},
        {"lines": [{"sku": "tea", "quantity": 1, "price": 1}], "payment_token": "tok_ok"},
        {"lines": [{"sku": "tea", "quantity": "one"}], "payment_token": "tok_ok"},
    ],
)
def test_a_bad_order_is_422_and_starts_nothing(
    api: TestClient, customer: dict[str, str], world: World, body: dict[str, Any]
) -> None:
    assert_problem(api.post("/api/v1/orders", json=body, headers=customer), 422)

    assert world.orders.orders == {} and world.sagas.calls == []


def test_an_order_of_an_unknown_item_is_422(api: TestClient, customer: dict[str, str]) -> None:
    body = {"lines": [{"sku": "nothing", "quantity": 1}], "payment_token": "tok_ok"}
    problem = assert_problem(api.post("/api/v1/orders", json=body, headers=customer), 422)

    assert problem["error"] == "InvalidOrder"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/items/has%20space",
        "/api/v1/items?limit=0",
        "/api/v1/items?limit=101",
        "/api/v1/items?cursor=not%20base64",
        "/api/v1/items?cursor=bm90LWEtY3Vyc29y",
        "/api/v1/orders?status=lost",
        "/api/v1/orders/has%3Fquestion",
    ],
)
def test_bad_paths_and_queries_are_422(api: TestClient, admin: dict[str, str], path: str) -> None:
    assert_problem(api.get(path, headers=admin), 422)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"email": "not-an-address", "password": "long enough pw", "name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "name": "A"}, "password"),
        ({"email": "adam@example.com", "password": "adam@example.com", "name": "A"}, "e-mail"),
        ({"email": "a@example.com", "password": "long enough pw", "name": ""}, "name"),
    ],
)
def test_a_bad_registration_is_422(api: TestClient, body: dict[str, Any], reason: str) -> None:
    problem = assert_problem(api.post("/api/v1/auth/register", json=body), 422)

    assert reason in str(problem)


def test_a_restock_wants_a_positive_quantity(api: TestClient, admin: dict[str, str]) -> None:
    api.post("/api/v1/items", json=ITEM, headers=admin)

    for quantity in (0, -3, 1_000_001, "ten"):
        response = api.post("/api/v1/items/tea/restock", json={"quantity": quantity}, headers=admin)
        assert_problem(response, 422)
    assert api.get("/api/v1/items/tea").json()["available"] == 5


def test_a_body_that_is_not_json_is_422(api: TestClient, admin: dict[str, str]) -> None:
    headers = {**admin, "content-type": "application/json"}
    assert_problem(api.post("/api/v1/items", content=b"{not json", headers=headers), 422)
