"""Who may call what: accounts, tokens, roles, and other people's orders."""

import asyncio
import time
from typing import Any

import jwt
from fastapi.testclient import TestClient

from app.read_models import ReadModels
from tests.api.conftest import ADMIN, PASSWORD, SIGNING_KEY, World, register, sign_in
from tests.api.test_validation import ITEM, assert_problem

ORDER = {"lines": [{"sku": "tea", "quantity": 1}], "payment_token": "tok_ok"}


def place(api: TestClient, who: dict[str, str]) -> str:
    response = api.post("/api/v1/orders", json=ORDER, headers=who)
    assert response.status_code == 202, response.text
    order_id: str = response.json()["id"]
    return order_id


def test_register_sign_in_and_read_me(api: TestClient) -> None:
    body = {"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"}
    created = api.post("/api/v1/auth/register", json=body)
    token = api.post(
        "/api/v1/auth/token", data={"username": "ada@example.com", "password": PASSWORD}
    )
    me = api.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
    )

    assert created.status_code == 201
    assert created.json()["roles"] == ["customer"] and "password_hash" not in created.json()
    assert token.headers["cache-control"] == "no-store"
    assert me.json()["email"] == "ada@example.com"


def test_an_address_registers_once(api: TestClient) -> None:
    register(api, "ada@example.com")
    again = {"email": "ADA@example.com", "password": PASSWORD, "name": "Ada again"}

    assert_problem(api.post("/api/v1/auth/register", json=again), 409)


def test_a_wrong_password_and_an_unknown_user_are_the_same_401(api: TestClient) -> None:
    register(api, "ada@example.com")
    wrong = api.post(
        "/api/v1/auth/token", data={"username": "ada@example.com", "password": "x" * 12}
    )
    unknown = api.post(
        "/api/v1/auth/token", data={"username": "bob@example.com", "password": "x" * 12}
    )

    assert assert_problem(wrong, 401)["detail"] == assert_problem(unknown, 401)["detail"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged(**claims: Any) -> str:
    now = time.time()
    base = {
        "iss": "dapr-commerce/orders",
        "aud": "access",
        "sub": "u_x",
        "roles": ["admin"],
        "jti": "j",
        "iat": now,
        "exp": int(now) + 60,
    }
    return jwt.encode({**base, **claims}, SIGNING_KEY, algorithm="HS256")


def test_no_token_or_a_bad_one_is_401(api: TestClient) -> None:
    cases = [
        {},
        bearer("not-a-jwt"),
        bearer(forged(exp=int(time.time()) - 1)),
        bearer(forged(aud="refresh")),
        bearer(jwt.encode({"sub": "u_x"}, "another key of enough length 0123456789", "HS256")),
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ]
    for headers in cases:
        response = api.get("/api/v1/users/me", headers=headers)
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_refresh_token_is_not_an_access_token(api: TestClient) -> None:
    pair = api.post("/api/v1/auth/token", data={"username": ADMIN[0], "password": ADMIN[1]}).json()

    assert_problem(api.get("/api/v1/users/me", headers=bearer(pair["refresh_token"])), 401)


def test_customers_may_not_do_what_admins_do(api: TestClient, customer: dict[str, str]) -> None:
    assert_problem(api.post("/api/v1/items", json=ITEM, headers=customer), 403)
    response = api.post("/api/v1/items/tea/restock", json={"quantity": 1}, headers=customer)
    assert_problem(response, 403)


def test_someone_elses_order_is_404_whatever_the_route(
    api: TestClient, admin: dict[str, str], customer: dict[str, str]
) -> None:
    api.post("/api/v1/items", json=ITEM, headers=admin)
    order_id = place(api, customer)
    other = register(api, "bob@example.com")

    for response in (
        api.get(f"/api/v1/orders/{order_id}", headers=other),
        api.post(f"/api/v1/orders/{order_id}/cancel", headers=other),
        api.get(f"/api/v1/orders/{order_id}/saga", headers=other),
    ):
        assert_problem(response, 404)
    assert api.get(f"/api/v1/orders/{order_id}", headers=customer).status_code == 200
    assert api.get(f"/api/v1/orders/{order_id}", headers=admin).status_code == 200


def test_refresh_rotates_and_a_spent_refresh_token_revokes_everything(api: TestClient) -> None:
    register(api, "ada@example.com")
    first = api.post(
        "/api/v1/auth/token", data={"username": "ada@example.com", "password": PASSWORD}
    ).json()
    second = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    reused = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})

    assert second.status_code == 200
    assert_problem(reused, 401)
    assert_problem(api.get("/api/v1/users/me", headers=bearer(second.json()["access_token"])), 401)


def test_logout_revokes_the_callers_tokens(api: TestClient, world: World) -> None:
    tokens = register(api, "ada@example.com")
    assert api.post("/api/v1/auth/logout", headers=tokens).status_code == 204

    assert_problem(api.get("/api/v1/users/me", headers=tokens), 401)
    assert (
        api.get("/api/v1/users/me", headers=sign_in(api, "ada@example.com", PASSWORD)).status_code
        == 200
    )
    assert any(key.startswith("tokens-revoked|") for key in world.store.documents)


def test_a_customer_lists_only_their_orders_and_an_admin_all(
    api: TestClient, admin: dict[str, str], customer: dict[str, str], world: World
) -> None:
    api.post("/api/v1/items", json={**ITEM, "stock": 10}, headers=admin)
    mine = place(api, customer)
    theirs = place(api, register(api, "bob@example.com"))
    # The read model is kept from the orders' events; the in-process tier feeds it directly.
    models = ReadModels(world.store)
    for order_id in (mine, theirs):
        view = asyncio.run(world.orders.get(order_id))
        assert view is not None
        asyncio.run(models.order_changed(view))

    listed = {o["id"] for o in api.get("/api/v1/orders", headers=customer).json()["items"]}
    everyone = {o["id"] for o in api.get("/api/v1/orders", headers=admin).json()["items"]}

    assert listed == {mine}
    assert everyone == {mine, theirs}
