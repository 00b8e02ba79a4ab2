"""One end-to-end test per Dapr building block, through real sidecars."""

import uuid
from typing import Any

import httpx

from devstack.stack import RunningApp
from tests.e2e.eventually import eventually


def test_ready_directly_and_through_service_invocation(
    orders_api: httpx.Client, orders_sidecar: httpx.Client
) -> None:
    direct = orders_api.get("/health/ready")
    invoked = orders_sidecar.get("/v1.0/invoke/orders/method/health/ready")

    assert direct.status_code == 200, direct.text
    assert direct.json()["checks"] == {"sidecar": True, "actors": True, "workflows": True}
    assert invoked.status_code == 200, invoked.text


def test_state_round_trip(orders_api: httpx.Client) -> None:
    key = uuid.uuid4().hex

    assert orders_api.get(f"/slice/state/{key}").status_code == 404
    assert orders_api.put(f"/slice/state/{key}", json={"value": "hello"}).status_code == 204
    assert orders_api.get(f"/slice/state/{key}").json() == {"value": "hello"}


def test_actor_keeps_state_and_is_idempotent_on_the_callers_key(orders_api: httpx.Client) -> None:
    counter = f"/slice/counters/{uuid.uuid4().hex}/increment"

    first = orders_api.post(counter, json={"key": "a", "by": 2}).json()
    replay = orders_api.post(counter, json={"key": "a", "by": 2}).json()
    second = orders_api.post(counter, json={"key": "b", "by": 3}).json()

    assert (first, replay, second) == ({"count": 2}, {"count": 2}, {"count": 5})


def test_workflow_runs_an_activity_that_calls_the_actor(orders_api: httpx.Client) -> None:
    counter_id, instance_id = uuid.uuid4().hex, uuid.uuid4().hex
    started = orders_api.post(
        f"/slice/workflows/{instance_id}", json={"counter_id": counter_id, "by": 4}
    )
    assert started.status_code == 202, started.text

    def finished() -> dict[str, Any] | None:
        status: dict[str, Any] = orders_api.get(f"/slice/workflows/{instance_id}").json()
        return status if status["status"] in ("COMPLETED", "FAILED", "TERMINATED") else None

    assert eventually(finished, what="the workflow to finish") == {
        "status": "COMPLETED",
        "output": 4,
    }
    increment = orders_api.post(
        f"/slice/counters/{counter_id}/increment", json={"key": "x", "by": 1}
    )
    assert increment.json() == {"count": 5}


def test_published_event_reaches_the_subscription(orders_api: httpx.Client) -> None:
    message = {"id": uuid.uuid4().hex, "text": "hi"}
    assert orders_api.post("/slice/events", json=message).status_code == 202

    def arrived() -> dict[str, Any] | None:
        response = orders_api.get(f"/slice/events/{message['id']}")
        return response.json() if response.status_code == 200 else None

    assert eventually(arrived, what="the event to be handled") == message


def test_secret_comes_from_the_secret_store(orders_api: httpx.Client) -> None:
    assert orders_api.get("/slice/secrets/jwt-signing-key").json() == {"present": True}


def test_orders_invokes_payments_by_app_id(orders_api: httpx.Client, payments: RunningApp) -> None:
    response = orders_api.get("/slice/payments/health")

    assert response.json() == {"status_code": 200, "body": {"status": "ok"}}
    assert payments.app.running


def test_unknown_fields_are_refused_as_problem_details(orders_api: httpx.Client) -> None:
    response = orders_api.put("/slice/state/k", json={"value": "v", "role": "admin"})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["type"] == "extra_forbidden"
