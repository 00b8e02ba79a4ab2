"""The actors keep one turn at a time in the app and forget what a failed save left in memory.

daprd sends an actor's next call as soon as the caller of the current one gives up, while the
app may still be running it; these calls arrive together here, against an in-memory sidecar
whose every state read and write lets other calls run.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from dapr.actor import Actor, Remindable
from dapr.actor.runtime._type_utils import get_dispatchable_attrs
from prometheus_client import REGISTRY

from actors import turns
from actors.guard import StaleTurn
from actors.inventory import Inventory
from actors.messages import ItemDefinition, OrderLine, Payment
from actors.order import Order
from actors.outcome import UNAVAILABLE, unwrap
from tests.fakes.actors import (
    Events,
    MemorySidecar,
    SaveFailed,
    activate_inventory,
    activate_order,
    after_turns,
)

ITEM: ItemDefinition = {"name": "Tea", "price_cents": 450, "stock": 10, "low_stock_threshold": 0}
LINE: OrderLine = {"sku": "tea", "quantity": 1, "unit_price_cents": 450}
PAYMENT: Payment = {
    "currency": "EUR",
    "payment_token": "tok_ok",
    "payment_action_timeout_seconds": 60,
}


def overlaps() -> float:
    labels = {"actor_type": "Inventory"}
    return REGISTRY.get_sample_value("actor_turns_overlapped_total", labels) or 0.0


async def stock_of(inventory: Inventory) -> tuple[int, int]:
    item = unwrap(await inventory.get())
    return item["available"], item["reserved"]


@pytest.mark.parametrize("actor_class", [Inventory, Order])
def test_every_method_and_reminder_of_an_actor_waits_for_its_turn(actor_class: type[Actor]) -> None:
    methods = [method["method_name"] for method in get_dispatchable_attrs(actor_class).values()]
    if issubclass(actor_class, Remindable):
        methods.append("receive_reminder")
    unguarded = [name for name in methods if not hasattr(getattr(actor_class, name), "__wrapped__")]
    assert unguarded == []


def test_calls_that_arrive_together_take_turns_and_are_counted() -> None:
    before = overlaps()

    async def scenario() -> tuple[int, int]:
        sidecar, events = MemorySidecar(), Events()
        inventory = activate_inventory(sidecar, events)
        await inventory.create(ITEM)
        orders = [f"o{n}" for n in range(6)]
        await asyncio.gather(
            *(inventory.reserve({"order_id": order, "quantity": 1}) for order in orders)
        )
        await asyncio.gather(*(inventory.commit({"order_id": order}) for order in orders[:3]))
        return await stock_of(activate_inventory(sidecar, events))

    assert asyncio.run(scenario()) == (4, 3)
    assert overlaps() == before + 5 + 2


def test_a_new_activation_waits_for_the_turn_the_old_one_still_runs() -> None:
    async def scenario() -> tuple[int, int]:
        sidecar, events = MemorySidecar(), Events()
        await activate_inventory(sidecar, events).create(ITEM)
        abandoned = activate_inventory(sidecar, events)
        current = activate_inventory(sidecar, events)
        await asyncio.gather(
            abandoned.reserve({"order_id": "o1", "quantity": 2}),
            current.reserve({"order_id": "o2", "quantity": 3}),
        )
        return await stock_of(activate_inventory(sidecar, events))

    assert asyncio.run(scenario()) == (5, 5)


def test_an_order_whose_save_failed_is_saved_and_announced_by_the_retry() -> None:
    async def scenario() -> tuple[dict[str, Any], list[str]]:
        sidecar, events = MemorySidecar(), Events()
        order = activate_order(sidecar, events)
        at = "2026-12-01T10:00:00+00:00"
        await order.place({"customer_id": "u1", "lines": [LINE], "at": at, "payment": PAYMENT})
        sidecar.failing_saves = 1
        with pytest.raises(SaveFailed):
            await order.confirm({"at": "2026-12-01T10:00:05+00:00"})
        await order.confirm({"at": "2026-12-01T10:00:06+00:00"})
        await after_turns()
        return sidecar.stored("Order", "o1", "order")["order"], events.types

    stored, published = asyncio.run(scenario())
    assert stored["status"] == "confirmed"
    assert published == ["order.placed", "order.confirmed"]


def test_a_turn_whose_state_another_activation_saved_is_refused() -> None:
    """Two activations of one SKU, as on two replicas while placement moves it: the turn that
    loaded first and saves last is refused instead of overwriting the newer counts."""

    async def scenario() -> tuple[int, int]:
        sidecar, events = MemorySidecar(), Events()
        await activate_inventory(sidecar, events).create(ITEM)
        here, there = activate_inventory(sidecar, events), activate_inventory(sidecar, events)
        await here.get()  # loads and keeps the counts
        await there.reserve({"order_id": "o1", "quantity": 4})
        with pytest.raises(StaleTurn):
            await here.reserve({"order_id": "o2", "quantity": 3})
        await here.reserve({"order_id": "o2", "quantity": 3})  # the caller's retry
        return await stock_of(activate_inventory(sidecar, events))

    assert asyncio.run(scenario()) == (3, 7)


class SlowSaves(MemorySidecar):
    async def save_states(
        self, actor_type: str, actor_id: str, values: Mapping[str, bytes]
    ) -> None:
        await asyncio.sleep(0.2)
        await super().save_states(actor_type, actor_id, values)


def abandoned() -> float:
    labels = {"actor_type": "Inventory"}
    return REGISTRY.get_sample_value("actor_calls_abandoned_total", labels) or 0.0


def test_a_call_that_waited_longer_than_its_caller_waits_is_not_run() -> None:
    """Its caller gave up and retries on the same key: run anyway, such calls pile up behind
    a busy actor faster than it takes them."""
    before = abandoned()

    async def scenario() -> tuple[list[dict[str, Any]], tuple[int, int]]:
        sidecar, events = SlowSaves(), Events()
        inventory = activate_inventory(sidecar, events)
        await inventory.create(ITEM)
        turns.callers_wait(0.1)
        try:
            answers = await asyncio.gather(
                inventory.reserve({"order_id": "o1", "quantity": 1}),
                inventory.reserve({"order_id": "o2", "quantity": 1}),
            )
        finally:
            turns.callers_wait(10)
        return [dict(answer) for answer in answers], await stock_of(inventory)

    (first, second), stock = asyncio.run(scenario())
    assert first["ok"]
    assert (second["ok"], second["error"]) == (False, UNAVAILABLE)
    assert stock == (9, 1)
    assert abandoned() == before + 1
