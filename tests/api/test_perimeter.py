"""What every request meets before a route: idempotent replays, rate limits, the body cap,
security headers, CORS, request ids and the token that only the sidecar holds."""

import time
from collections.abc import Iterator

import jwt
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import (
    ADMIN,
    APP_TOKEN,
    PASSWORD,
    SIGNING_KEY,
    World,
    in_process,
    register,
    settings,
    sign_in,
)
from tests.api.test_validation import ITEM, assert_problem

ORDER = {"lines": [{"sku": "tea", "quantity": 1}], "payment_token": "tok_ok"}


@pytest.fixture
def stocked(api: TestClient, admin: dict[str, str]) -> None:
    assert api.post("/api/v1/items", json={**ITEM, "stock": 50}, headers=admin).status_code == 201


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


@pytest.mark.usefixtures("stocked")
def test_the_same_key_and_body_replays_and_another_body_is_422(
    api: TestClient, customer: dict[str, str], world: World
) -> None:
    first = api.post("/api/v1/orders", json=ORDER, headers=keyed(customer, "k1"))
    again = api.post("/api/v1/orders", json=ORDER, headers=keyed(customer, "k1"))
    other = api.post(
        "/api/v1/orders",
        json={**ORDER, "payment_token": "tok_decline"},
        headers=keyed(customer, "k1"),
    )

    assert first.status_code == again.status_code == 202
    assert again.headers["idempotent-replayed"] == "true"
    assert (again.json(), again.headers["location"]) == (first.json(), first.headers["location"])
    assert_problem(other, 422)
    assert [call[0] for call in world.sagas.calls] == ["schedule"]


@pytest.mark.usefixtures("stocked")
def test_a_key_belongs_to_its_caller(api: TestClient, customer: dict[str, str]) -> None:
    other = register(api, "bob@example.com")
    mine = api.post("/api/v1/orders", json=ORDER, headers=keyed(customer, "shared"))
    theirs = api.post("/api/v1/orders", json=ORDER, headers=keyed(other, "shared"))

    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


@pytest.mark.usefixtures("stocked")
def test_a_replay_to_a_revoked_or_expired_token_is_401(
    api: TestClient, customer: dict[str, str]
) -> None:
    placed = api.post("/api/v1/orders", json=ORDER, headers=keyed(customer, "k2"))
    me = api.get("/api/v1/users/me", headers=customer).json()
    expired = jwt.encode(
        {
            "iss": "dapr-commerce/orders",
            "aud": "access",
            "sub": me["id"],
            "roles": ["customer"],
            "jti": "j",
            "iat": time.time() - 120,
            "exp": int(time.time()) - 60,
        },
        SIGNING_KEY,
        algorithm="HS256",
    )
    with_expired = api.post(
        "/api/v1/orders", json=ORDER, headers=keyed({"Authorization": f"Bearer {expired}"}, "k2")
    )
    api.post("/api/v1/auth/logout", headers=customer)
    after_logout = api.post("/api/v1/orders", json=ORDER, headers=keyed(customer, "k2"))

    assert placed.status_code == 202
    for response in (with_expired, after_logout):
        assert_problem(response, 401)
        assert "idempotent-replayed" not in response.headers


def test_anonymous_callers_never_see_each_others_answers(api: TestClient) -> None:
    key = {"Idempotency-Key": "same-key"}
    ada = {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
    bob = {"email": "bob@example.com", "password": PASSWORD, "name": "Bob"}

    first = api.post("/api/v1/auth/register", json=ada, headers=key)
    second = api.post("/api/v1/auth/register", json=bob, headers=key)
    replayed = api.post("/api/v1/auth/register", json=ada, headers=key)

    assert first.status_code == second.status_code == 201
    assert second.json()["email"] == "bob@example.com"
    assert replayed.headers["idempotent-replayed"] == "true"


def test_signing_in_is_never_replayed(api: TestClient) -> None:
    register(api, "ada@example.com")
    form = {"username": "ada@example.com", "password": PASSWORD}
    first = api.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "k"})
    second = api.post("/api/v1/auth/token", data=form, headers={"Idempotency-Key": "k"})

    assert "idempotent-replayed" not in second.headers
    assert first.json()["access_token"] != second.json()["access_token"]


def test_an_idempotency_key_over_128_characters_is_422(
    api: TestClient, admin: dict[str, str]
) -> None:
    response = api.post("/api/v1/items", json=ITEM, headers=keyed(admin, "k" * 129))
    assert_problem(response, 422)


@pytest.mark.parametrize(
    ("limit", "path", "body"),
    [
        (
            "login_rate_limit",
            "/api/v1/auth/token",
            {"data": {"username": "a@b.co", "password": "x" * 10}},
        ),
        ("register_rate_limit", "/api/v1/auth/register", {"json": {"email": "x"}}),
    ],
)
def test_strict_limits_answer_429_with_retry_after(
    world: World, limit: str, path: str, body: dict[str, object]
) -> None:
    with in_process(world, settings(**{limit: "2/minute"})) as api:
        statuses = [api.post(path, **body).status_code for _ in range(3)]  # type: ignore[arg-type]
        last = api.post(path, **body)  # type: ignore[arg-type]

    assert statuses[:2] != [429, 429] and statuses[2] == 429
    assert_problem(last, 429)
    assert 1 <= int(last.headers["retry-after"]) <= 60


def test_each_caller_has_its_own_general_limit(world: World) -> None:
    with in_process(world, settings(general_rate_limit="3/minute")) as api:
        admin = sign_in(api, *ADMIN)
        statuses = [api.get("/api/v1/users/me", headers=admin).status_code for _ in range(4)]
        anonymous = api.get("/api/v1/items/tea").status_code

    assert statuses == [200, 200, 200, 429]
    assert anonymous == 404


def test_a_large_body_is_413_whether_declared_or_streamed(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    big = b'{"sku": "' + b"x" * 70_000 + b'"}'
    declared = api.post(
        "/api/v1/items", content=big, headers={**admin, "content-type": "application/json"}
    )

    def chunks() -> Iterator[bytes]:
        yield big[:40_000]
        yield big[40_000:]

    streamed = api.post(
        "/api/v1/items", content=chunks(), headers={**admin, "content-type": "application/json"}
    )

    assert_problem(declared, 413)
    assert_problem(streamed, 413)
    assert world.inventory.items == {}


def test_every_answer_carries_the_security_headers(api: TestClient) -> None:
    for response in (api.get("/health/live"), api.get("/api/v1/items/nothing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "default-src 'self'" in response.headers["content-security-policy"]
    # The interactive docs load their script from a CDN; they get no CSP of ours.
    assert "content-security-policy" not in api.get("/docs").headers


def test_cors_answers_only_the_configured_origins(world: World) -> None:
    with in_process(world, settings(cors_origins=["http://console.example"])) as api:
        allowed = api.options(
            "/api/v1/items",
            headers={"Origin": "http://console.example", "Access-Control-Request-Method": "GET"},
        )
        other = api.get("/api/v1/items", headers={"Origin": "http://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "http://console.example"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/actors/Inventory/tea/method/Get"),
        ("GET", "/dapr/subscribe"),
        ("GET", "/dapr/config"),
        ("POST", "/events/warehouse"),
        ("POST", "/internal/payments/confirmed"),
    ],
)
def test_sidecar_routes_want_the_app_token(api: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"dapr-api-token": "a guess"}):
        assert_problem(api.request(method, path, headers=headers), 401)


def test_with_the_app_token_the_sidecar_gets_through(api: TestClient) -> None:
    response = api.get("/dapr/subscribe", headers={"dapr-api-token": APP_TOKEN})

    assert response.status_code == 200
    assert {s["topic"] for s in response.json()} == {
        "warehouse",
        "inventory",
        "orders",
        "deadletter",
    }


def test_a_request_id_is_echoed_or_made(api: TestClient) -> None:
    given = api.get("/health/live", headers={"X-Request-ID": "trace-me-1"})
    made = api.get("/health/live")

    assert given.headers["x-request-id"] == "trace-me-1"
    assert len(made.headers["x-request-id"]) == 32
