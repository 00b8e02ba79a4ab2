"""Only `orders` charges and refunds. daprd passes a caller-set `dapr-caller-app-id` through on
every invocation path, so `payments` trusts only a caller assertion signed with a key the two
apps share (common/caller.py). Every HTTP path a client has is tried here (gRPC in
test_caller_check_grpc.py), with and without a forged header, with the other app's token; each
is refused and nothing is charged."""

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from common.caller import HEADER, CallerKey
from devstack.stack import RunningApp, Stack
from tests.support.api import payments_client
from tests.support.stacks import ORDERS_ENV, own_stack

FORGED = {"dapr-caller-app-id": "orders"}


@pytest.fixture(scope="module")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """A stack of its own: daprd 1.18's circuit breaker for payments counts these refusals
    as failures, and an open breaker would refuse the next test's calls to payments."""
    with own_stack(request, tmp_path_factory, "callers", ORDERS_ENV) as own:
        yield own


@pytest.fixture(scope="module")
def orders(stack: Stack) -> RunningApp:
    return stack.apps["orders"]


@pytest.fixture(scope="module")
def payments(stack: Stack) -> RunningApp:
    return stack.apps["payments"]


@pytest.fixture
def order_id() -> str:
    return f"o-{uuid.uuid4().hex[:12]}"


def charge_body(order_id: str) -> dict[str, object]:
    return {"order_id": order_id, "amount_cents": 100, "currency": "EUR", "payment_token": "tok_ok"}


def sidecar_with(app: RunningApp, token_of: RunningApp) -> httpx.Client:
    """`app`'s sidecar, presenting the API token of `token_of`."""
    return httpx.Client(base_url=app.dapr_url, timeout=30.0, headers=token_of.sidecar_headers)


@pytest.fixture
def charged_nothing(payments: RunningApp, order_id: str) -> Iterator[None]:
    yield
    with payments_client(payments) as provider:
        assert provider.get(f"/charges/ch_{order_id}").status_code == 404


def assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.usefixtures("charged_nothing")
def test_forged_callers_are_refused_on_every_path(
    orders: RunningApp, payments: RunningApp, order_id: str
) -> None:
    body = charge_body(order_id)
    refund = f"charges/ch_{order_id}/refund"
    with payments_client(payments) as direct:  # as payments' own sidecar calls it
        for headers in ({}, FORGED):
            assert_refused(direct.post("/charges", json=body, headers=headers), 403)
            assert_refused(direct.post(f"/{refund}", headers=headers), 403)
    with sidecar_with(payments, payments) as own_sidecar:  # self-invocation
        for headers in ({}, FORGED):
            url = "/v1.0/invoke/payments/method/"
            assert_refused(own_sidecar.post(url + "charges", json=body, headers=headers), 403)
            assert_refused(own_sidecar.post(url + refund, headers=headers), 403)
    with sidecar_with(orders, orders) as orders_sidecar:  # a remote call, as orders makes it
        url = "/v1.0/invoke/payments/method/charges"
        assert_refused(orders_sidecar.post(url, json=body, headers=FORGED), 403)


def test_a_sidecar_refuses_the_other_apps_token(orders: RunningApp, payments: RunningApp) -> None:
    with sidecar_with(payments, orders) as wrong, sidecar_with(orders, payments) as also_wrong:
        assert wrong.get("/v1.0/metadata").status_code == 401
        assert also_wrong.get("/v1.0/metadata").status_code == 401
    with sidecar_with(orders, orders) as right:
        assert right.get("/v1.0/metadata").status_code == 200


@pytest.mark.usefixtures("charged_nothing")
def test_an_assertion_works_only_for_the_request_it_was_made_for(
    orders: RunningApp, payments: RunningApp, order_id: str
) -> None:
    secrets = json.loads(orders.secrets_file.read_text())
    key = CallerKey(secrets["service-caller-key"], "orders")
    signed_body = json.dumps(charge_body("o-another-order")).encode()
    assertion = key.sign("payments", "POST", "charges", signed_body)
    other_body = json.dumps(charge_body(order_id)).encode()
    headers = {HEADER: assertion, "content-type": "application/json"}

    with sidecar_with(payments, payments) as own_sidecar:
        url = "/v1.0/invoke/payments/method/"
        moved = own_sidecar.post(url + "charges", content=other_body, headers=headers)
        elsewhere = own_sidecar.post(url + f"charges/ch_{order_id}/refund", headers=headers)

    assert_refused(moved, 403)
    assert_refused(elsewhere, 403)


def test_an_assertion_from_a_caller_who_is_not_orders_is_refused(
    payments: RunningApp, order_id: str
) -> None:
    secrets = json.loads(payments.secrets_file.read_text())
    impostor = CallerKey(secrets["service-caller-key"], "payments")
    body = json.dumps(charge_body(order_id)).encode()
    headers = {
        HEADER: impostor.sign("payments", "POST", "charges", body),
        "content-type": "application/json",
    }

    with sidecar_with(payments, payments) as own_sidecar:
        response = own_sidecar.post(
            "/v1.0/invoke/payments/method/charges", content=body, headers=headers
        )

    assert_refused(response, 403)
    assert "not 'payments'" in response.json()["detail"]
