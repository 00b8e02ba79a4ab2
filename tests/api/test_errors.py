"""What the API answers when something behind it refuses or fails: the domain's refusals in
one mapping, an unreachable sidecar as 503 with Retry-After, unknown routes as problems."""

from collections.abc import Callable
from typing import Any

import grpc
import httpx
import pytest
from dapr.clients.exceptions import DaprInternalError
from fastapi.testclient import TestClient
from grpc.aio import AioRpcError, Metadata

from actors.clients import InventoryClient
from app.checkout import READ_ATTEMPTS
from tests.api.conftest import ADMIN, World, in_process, settings, sign_in
from tests.api.test_auth_rules import place
from tests.api.test_validation import ITEM, assert_problem
from tests.fakes.actors import Events, InventoryInMemory, MemorySidecar, store_error


def test_an_item_created_again_is_a_replay_and_another_definition_a_conflict(
    api: TestClient, admin: dict[str, str]
) -> None:
    first = api.post("/api/v1/items", json=ITEM, headers=admin)
    again = api.post("/api/v1/items", json=ITEM, headers=admin)
    other = api.post("/api/v1/items", json={**ITEM, "price_cents": 1}, headers=admin)

    assert first.status_code == again.status_code == 201
    assert assert_problem(other, 409)["error"] == "Conflict"


def test_a_restock_key_with_another_quantity_is_a_conflict(
    api: TestClient, admin: dict[str, str]
) -> None:
    api.post("/api/v1/items", json=ITEM, headers=admin)
    key = {**admin, "Idempotency-Key": "shipment-7"}
    first = api.post("/api/v1/items/tea/restock", json={"quantity": 3}, headers=key)
    # Another body under the same key is refused by the idempotency layer; the actor's own
    # check stands behind it for callers without one (a replay of the same ref).
    changed = api.post("/api/v1/items/tea/restock", json={"quantity": 4}, headers=key)

    assert first.json()["available"] == 8
    assert_problem(changed, 422)
    assert api.get("/api/v1/items/tea").json()["available"] == 8


def test_an_unknown_item_is_404(api: TestClient) -> None:
    assert_problem(api.get("/api/v1/items/nothing"), 404)


@pytest.mark.parametrize(
    "failure",
    [
        store_error(grpc.StatusCode.UNAVAILABLE),
        store_error(grpc.StatusCode.DEADLINE_EXCEEDED),
        httpx.ConnectError("connection refused"),
    ],
    ids=["actor call, no sidecar", "actor call timed out", "HTTP call, no sidecar"],
)
def test_a_sidecar_that_does_not_answer_is_503_with_retry_after(
    api: TestClient, world: World, failure: Exception
) -> None:
    world.inventory.failing = failure

    response = api.get("/api/v1/items/tea")

    assert_problem(response, 503)
    assert int(response.headers["retry-after"]) >= 1


def test_an_actor_whose_store_failed_is_503_with_retry_after_and_the_retry_restocks() -> None:
    """The real Inventory actor, its state save failed by the store (issue #24's path)."""
    sidecar = MemorySidecar()
    world = World(real_inventory=InventoryClient(InventoryInMemory(sidecar, Events())))
    with in_process(world, settings()) as api:
        admin = sign_in(api, *ADMIN)
        assert api.post("/api/v1/items", json=ITEM, headers=admin).status_code == 201
        sidecar.failing_saves, sidecar.save_failure = 1, store_error(grpc.StatusCode.INTERNAL)
        restock = {"quantity": 3}
        failed = api.post("/api/v1/items/tea/restock", json=restock, headers=admin)
        retried = api.post("/api/v1/items/tea/restock", json=restock, headers=admin)

    assert_problem(failed, 503)
    assert int(failed.headers["retry-after"]) >= 1
    assert retried.status_code == 200
    assert retried.json()["available"] == 5 + 3


def test_a_saga_read_that_met_a_save_is_read_again_and_one_that_keeps_failing_is_503(
    api: TestClient, world: World, admin: dict[str, str], customer: dict[str, str]
) -> None:
    api.post("/api/v1/items", json=ITEM, headers=admin)
    order_id = place(api, customer)
    saga = f"/api/v1/orders/{order_id}/saga"

    world.sagas.failing_reads = READ_ATTEMPTS - 1
    read_again = api.get(saga, headers=customer)
    world.sagas.failing_reads = READ_ATTEMPTS
    failed = api.get(saga, headers=customer)

    assert read_again.status_code == 200, read_again.text
    assert_problem(failed, 503)
    assert int(failed.headers["retry-after"]) >= 1


def test_readiness_follows_each_dependency(api: TestClient, world: World) -> None:
    assert api.get("/health/ready").status_code == 200
    world.readiness.up["workflows"] = False

    response = api.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["checks"]["workflows"] is False
    assert api.get("/health/live").status_code == 200


def test_unknown_routes_and_methods_are_problems(api: TestClient) -> None:
    assert_problem(api.get("/api/v1/nothing"), 404)
    assert_problem(api.delete("/api/v1/items"), 405)


def _restarting() -> Exception:
    return AioRpcError(grpc.StatusCode.UNAVAILABLE, Metadata(), Metadata(), "restarting")


def _killed_during_save() -> Exception:
    # The SDK raises a failed save as DaprInternalError around the RpcError (faults-long: a
    # sidecar killed between the route's answer and the record's save).
    error = DaprInternalError("failed to connect to all addresses")
    error.__cause__ = AioRpcError(grpc.StatusCode.UNAVAILABLE, Metadata(), Metadata(), "killed")
    return error


@pytest.mark.parametrize(
    ("method", "failure", "retried_statuses"),
    [("read", _restarting, {201}), ("write", _killed_during_save, {200, 201})],
    ids=["read", "save"],
)
def test_an_idempotency_record_the_sidecar_cannot_reach_is_503_and_the_retry_goes_through(
    api: TestClient,
    world: World,
    admin: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    failure: Callable[[], Exception],
    retried_statuses: set[int],
) -> None:
    """The record is read and saved in a middleware, outside the routes' exception handlers."""
    original = getattr(world.store, method)

    async def unavailable_for_records(key: str, *args: Any, **kwargs: Any) -> Any:
        if key.startswith("idempotency|"):
            raise failure()
        return await original(key, *args, **kwargs)

    headers = {**admin, "Idempotency-Key": "create-tea"}
    monkeypatch.setattr(world.store, method, unavailable_for_records)
    failed = api.post("/api/v1/items", json=ITEM, headers=headers)
    monkeypatch.setattr(world.store, method, original)
    retried = api.post("/api/v1/items", json=ITEM, headers=headers)

    assert_problem(failed, 503)
    assert int(failed.headers["retry-after"]) >= 1
    assert retried.status_code in retried_statuses, retried.text
