"""An actor's state through its sidecar: names reach it as they are, whatever text callers put
in them, and a read or save the sidecar failed is an answer callers retry, not an error."""

import asyncio
from typing import Any, cast

import grpc
import httpx
import pytest

from actors.clients import InventoryClient
from actors.messages import ItemDefinition
from actors.outcome import UNAVAILABLE, ActorUnavailable, unwrap
from domain.stock import restock_record
from tests.fakes.actors import (
    Events,
    InventoryInMemory,
    MemorySidecar,
    activate_inventory,
    store_error,
)
from tests.fakes.catalog import FakeInventory, FakeOrders
from workflows.activities import CheckoutDependencies, release_stock, reserve_stock
from workflows.messages import StockRequest
from workflows.payments import Payments

ITEM: ItemDefinition = {"name": "Tea", "price_cents": 450, "stock": 0, "low_stock_threshold": 0}
# What JSON must escape, and what it would read as another character if written raw.
REFS = ['a "quoted" ref', "back\\slash", "tab\there", "u\\u0041x", 'e\\"q', "é/?#%20"]


@pytest.mark.parametrize("ref", REFS)
def test_a_restock_record_is_saved_and_found_under_its_own_name(ref: str) -> None:
    async def scenario() -> tuple[int, MemorySidecar]:
        sidecar = MemorySidecar()
        inventory = activate_inventory(sidecar, Events())
        await inventory.create(ITEM)
        for _ in range(2):
            change = unwrap(await inventory.restock({"quantity": 3, "ref": ref}))
        return change["item"]["available"], sidecar

    available, sidecar = asyncio.run(scenario())

    assert available == 3
    assert sidecar.stored("Inventory", "tea", restock_record(ref)) == 3


@pytest.mark.parametrize(
    "failure",
    [
        store_error(grpc.StatusCode.INTERNAL),
        store_error(grpc.StatusCode.FAILED_PRECONDITION),
        store_error(grpc.StatusCode.DEADLINE_EXCEEDED),
        httpx.ReadTimeout("the sidecar did not answer a reminder's call"),
    ],
    ids=["store failed", "actor no longer hosted", "timeout", "reminder call timed out"],
)
def test_a_failed_save_is_answered_unavailable_and_the_retry_saves(failure: Exception) -> None:
    async def scenario() -> tuple[dict[str, Any], int]:
        sidecar = MemorySidecar()
        inventory = activate_inventory(sidecar, Events())
        await inventory.create(ITEM)
        sidecar.failing_saves, sidecar.save_failure = 1, failure
        failed = await inventory.restock({"quantity": 3, "ref": "shipment:7"})
        retried = unwrap(await inventory.restock({"quantity": 3, "ref": "shipment:7"}))
        return dict(failed), retried["item"]["available"]

    failed, available = asyncio.run(scenario())

    assert failed["ok"] is False and failed["error"] == UNAVAILABLE
    assert available == 3


def test_the_client_raises_unavailable_not_a_refusal() -> None:
    async def scenario() -> None:
        sidecar = MemorySidecar()
        inventory = InventoryClient(InventoryInMemory(sidecar, Events()))
        await inventory.create("tea", ITEM)
        sidecar.failing_saves, sidecar.save_failure = 1, store_error()
        await inventory.restock("tea", 3, "shipment:7")

    with pytest.raises(ActorUnavailable):
        asyncio.run(scenario())


@pytest.mark.parametrize("step", [reserve_stock, release_stock])
def test_the_saga_retries_a_step_whose_actor_was_unavailable(step: Any) -> None:
    """Raised, not returned as a refusal: the workflow's retry policy runs the step again."""
    inventory = FakeInventory()
    inventory.failing = ActorUnavailable("Inventory tea could not read or save its state.")
    orders = FakeOrders()
    line = {"sku": "tea", "quantity": 1, "unit_price_cents": 450}
    placing: Any = {"customer_id": "c1", "lines": [line], "at": "2026-12-02T00:00:00+00:00"}
    asyncio.run(orders.place("o1", placing))
    deps = CheckoutDependencies(inventory, orders, cast(Payments, None))
    request: StockRequest = {"order_id": "o1", "lines": [{"sku": "tea", "quantity": 1}]}

    with pytest.raises(ActorUnavailable):
        asyncio.run(step.body(deps, request))
