"""The perimeter where the real sidecar and store matter: replays through the state store, the
tokens daprd and the app hold, rate limits, keys that expire with their TTL. Every other rule
is checked in-process (tests/api)."""

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from devstack.stack import RunningApp, Stack
from tests.support.api import anonymous_client, orders_client, payments_client, sidecar_client
from tests.support.catalog import new_item
from tests.support.stacks import ORDERS_ENV, own_stack


def test_the_same_key_and_body_replays_the_first_answer(orders_api: httpx.Client) -> None:
    sku = new_item(orders_api, stock=5)["sku"]
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
    key = {"Idempotency-Key": uuid.uuid4().hex}

    first = orders_api.post("/api/v1/orders", json=body, headers=key)
    again = orders_api.post("/api/v1/orders", json=body, headers=key)
    other_body = orders_api.post(
        "/api/v1/orders", json={**body, "payment_token": "tok_decline"}, headers=key
    )

    assert first.status_code == again.status_code == 202
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.json()["detail"]


def test_sidecar_routes_refuse_calls_without_the_app_token(
    orders: RunningApp, payments: RunningApp
) -> None:
    with anonymous_client(orders) as api:
        actor = api.put("/actors/Inventory/x/method/Get", json={})
        subscribe = api.get("/dapr/subscribe")
        event = api.post("/events/warehouse", json={})
        callback = api.post("/internal/payments/confirmed", json={})
        forged = api.get("/dapr/subscribe", headers={"dapr-api-token": "guess"})
        with_token = api.get("/dapr/subscribe", headers=orders.app_headers)
    with httpx.Client(base_url=payments.url) as stranger:
        charge = stranger.get("/charges/ch_x")
    with payments_client(payments) as sidecar_like:
        charge_with_token = sidecar_like.get("/charges/ch_x")

    for response in (actor, subscribe, event, callback, forged, charge):
        assert response.status_code == 401, (response.request.url, response.text)
    assert with_token.status_code == 200
    assert charge_with_token.status_code == 404


def test_the_sidecar_api_wants_the_apps_token(orders: RunningApp) -> None:
    with httpx.Client(base_url=orders.dapr_url) as stranger:
        state = stranger.get("/v1.0/state/statestore/anything")

    assert state.status_code == 401


@pytest.fixture(scope="module")
def strict_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        **ORDERS_ENV,
        "PERIMETER_LOGIN_RATE_LIMIT": "3/minute",
        "PERIMETER_REGISTER_RATE_LIMIT": "2/minute",
        "PERIMETER_GENERAL_RATE_LIMIT": "20/minute",
    }
    with own_stack(request, tmp_path_factory, "strict", env) as stack:
        yield stack


def test_logins_past_the_limit_are_429_with_retry_after(strict_stack: Stack) -> None:
    with anonymous_client(strict_stack.apps["orders"]) as api:
        form = {"username": "nobody@example.com", "password": "wrong password"}
        statuses = [api.post("/api/v1/auth/token", data=form).status_code for _ in range(4)]
        limited = api.post("/api/v1/auth/token", data=form)
        other_account = api.post(
            "/api/v1/auth/token", data={**form, "username": "else@example.com"}
        )

    assert statuses == [401, 401, 401, 429]
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["content-type"] == "application/problem+json"
    assert other_account.status_code == 401


def test_registrations_past_the_limit_are_429(strict_stack: Stack) -> None:
    with anonymous_client(strict_stack.apps["orders"]) as api:
        statuses = [
            api.post(
                "/api/v1/auth/register",
                json={
                    "email": f"r{n}@example.com",
                    "password": "correct horse battery",
                    "name": "r",
                },
            ).status_code
            for n in range(3)
        ]

    assert statuses == [201, 201, 429]


def test_each_caller_has_a_general_limit(strict_stack: Stack) -> None:
    orders = strict_stack.apps["orders"]
    with orders_client(orders) as admin, anonymous_client(orders) as anonymous:
        statuses = [admin.get("/api/v1/users/me").status_code for _ in range(21)]
        anonymous_status = anonymous.get("/api/v1/items").status_code

    assert statuses[:19] == [200] * 19
    assert statuses[-1] == 429
    assert anonymous_status == 200


def test_the_secrets_api_serves_only_what_the_code_reads(orders: RunningApp) -> None:
    with sidecar_client(orders) as sidecar:
        allowed = sidecar.get("/v1.0/secrets/secretstore/admin-email")
        for name in ("orders-app-api-token", "payments-dapr-api-token", "redis-password"):
            assert sidecar.get(f"/v1.0/secrets/secretstore/{name}").status_code == 403
        bulk = sidecar.get("/v1.0/secrets/secretstore/bulk")

    assert allowed.status_code == 200
    readable = {
        "jwt-signing-key",
        "admin-email",
        "admin-password",
        "service-caller-key",
        "tenant-admins",
    }
    assert set(bulk.json()) <= readable


@pytest.fixture(scope="module")
def expiring_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Idempotency keys that expire quickly."""
    env = {
        **ORDERS_ENV,
        "PERIMETER_IDEMPOTENCY_KEY_SECONDS": "2",
    }
    with own_stack(request, tmp_path_factory, "expiring", env) as stack:
        yield stack


def test_idempotency_keys_expire(expiring_stack: Stack) -> None:
    with anonymous_client(expiring_stack.apps["orders"]) as api:
        body = {"email": "expiry@example.com", "password": "correct horse battery", "name": "e"}
        key = {"Idempotency-Key": "expiring"}
        first = api.post("/api/v1/auth/register", json=body, headers=key)
        replayed = api.post("/api/v1/auth/register", json=body, headers=key)
        time.sleep(3)
        after_expiry = api.post("/api/v1/auth/register", json=body, headers=key)

    assert first.status_code == replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true"
    assert after_expiry.status_code == 409
    assert "idempotent-replayed" not in after_expiry.headers
