"""Accounts, tokens and who may do what, against the real runtime: every rule has a test
that the wrong caller is refused."""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from devstack.stack import RunningApp, Stack
from tests import controls
from tests.support.api import SignedIn, anonymous_client, new_customer, orders_client
from tests.support.catalog import new_item
from tests.support.checkout import final_order, place

REGISTER = "/api/v1/auth/register"
TOKEN = "/api/v1/auth/token"
PASSWORD = "correct horse battery"


def register(api: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return api.post(REGISTER, json={"email": email, "password": password, "name": "Ada"})


def sign_in(api: httpx.Client, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = api.post(TOKEN, data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens: dict[str, str] = response.json()
    return tokens


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(label: str) -> str:
    return f"{label}-{time.time_ns()}@example.com"


def test_register_sign_in_and_read_me(orders: RunningApp) -> None:
    email = unique_email("ada")
    with anonymous_client(orders) as api:
        created = register(api, email.upper())
        tokens = sign_in(api, email)
        me = api.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))

    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["customer"]
    assert "password_hash" not in created.json()
    assert tokens["token_type"] == "bearer"
    assert me.json()["email"] == email
    assert me.json()["id"] == created.json()["id"]


def test_an_address_gets_one_account_even_under_concurrent_registration(
    orders: RunningApp,
) -> None:
    email = unique_email("race")
    with anonymous_client(orders) as api, ThreadPoolExecutor(12) as pool:
        statuses = list(pool.map(lambda _: register(api, email).status_code, range(12)))

    assert sorted(statuses) == [201] + [409] * 11


def test_someone_elses_order_is_404_whatever_the_route(
    orders: RunningApp, orders_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=5)["sku"]
    with new_customer(orders) as owner, new_customer(orders) as stranger:
        order_id = place(owner, [(sku, 1)], token="tok_action")
        assert owner.get(f"/api/v1/orders/{order_id}").status_code == 200

        for response in (
            stranger.get(f"/api/v1/orders/{order_id}"),
            stranger.get(f"/api/v1/orders/{order_id}/saga"),
            stranger.post(f"/api/v1/orders/{order_id}/cancel"),
        ):
            assert response.status_code == 404, response.text
            assert "customer_id" not in response.text
        listed = stranger.get("/api/v1/orders").json()["items"]
        assert order_id not in [order["id"] for order in listed]
        assert order_id in [order["id"] for order in owner.get("/api/v1/orders").json()["items"]]

        # The stranger's cancel had no effect; the owner's does, and an admin sees it all.
        assert owner.post(f"/api/v1/orders/{order_id}/cancel").status_code == 202
    assert final_order(orders_api, order_id)["status_reason"] == "cancelled_by_customer"


def test_refresh_rotates_and_a_spent_refresh_token_revokes_everything(
    orders: RunningApp,
) -> None:
    email = unique_email("rot")
    with anonymous_client(orders) as api:
        register(api, email)
        first = sign_in(api, email)
        rotated = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        assert rotated.status_code == 200, rotated.text
        second = rotated.json()
        assert api.get("/api/v1/users/me", headers=bearer(second["access_token"])).is_success

        reused = api.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
        after_reuse = api.get("/api/v1/users/me", headers=bearer(second["access_token"]))
        refresh_after = api.post(
            "/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
        )
        as_access = api.get("/api/v1/users/me", headers=bearer(first["refresh_token"]))

    assert reused.status_code == 401
    assert after_reuse.status_code == 401
    assert refresh_after.status_code == 401
    assert as_access.status_code == 401


def test_logout_revokes_tokens_even_across_a_restart(orders: RunningApp, stack: Stack) -> None:
    email = unique_email("out")
    with anonymous_client(orders) as api:
        register(api, email)
        tokens = sign_in(api, email)
        assert (
            api.post("/api/v1/auth/logout", headers=bearer(tokens["access_token"])).status_code
            == 204
        )
        again = sign_in(api, email)

        def refused_after_logout() -> None:
            assert (
                api.get("/api/v1/users/me", headers=bearer(tokens["access_token"])).status_code
                == 401
            )
            refresh = {"refresh_token": tokens["refresh_token"]}
            assert api.post("/api/v1/auth/refresh", json=refresh).status_code == 401
            assert api.get("/api/v1/users/me", headers=bearer(again["access_token"])).is_success

        refused_after_logout()
        controls.crash_and_restart(stack, "orders")
        refused_after_logout()


def test_the_bootstrap_admin_signs_in_with_the_secret_store_credentials(
    orders_api: httpx.Client,
) -> None:
    me = orders_api.get("/api/v1/users/me")

    assert me.status_code == 200
    assert set(me.json()["roles"]) == {"admin", "customer"}


def test_a_customer_signed_in_with_the_helper_can_place_orders(
    orders: RunningApp, orders_api: httpx.Client
) -> None:
    sku = new_item(orders_api, stock=2)["sku"]
    with new_customer(orders) as customer:
        assert isinstance(customer.auth, SignedIn)
        order_id = place(customer, [(sku, 1)])
        assert final_order(customer, order_id)["status"] == "confirmed"
    with orders_client(orders) as admin:
        assert admin.get(f"/api/v1/orders/{order_id}").status_code == 200
