"""The actors' outbox: an event is saved with the change it announces, published after the
turn, and never lost when the publish fails or the app dies in between."""

import asyncio
from datetime import timedelta

from actors.inventory import SWEEP
from actors.messages import ItemDefinition, OrderLine, Payment
from actors.order import SAGA_WATCH
from tests.fakes.actors import (
    Events,
    MemorySidecar,
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
AT = "2026-12-01T10:00:00+00:00"
PERIOD = timedelta(seconds=30)


class BlockedEvents(Events):
    """A pub/sub component that takes its time: publishes wait until `released`."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()

    async def publish(self, topic: str, event: dict[str, object]) -> None:
        await self.released.wait()
        await super().publish(topic, event)


def test_a_turn_ends_before_its_events_are_published() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        sidecar, events = MemorySidecar(), BlockedEvents()
        inventory = activate_inventory(sidecar, events)
        await inventory.create(ITEM)
        await inventory.reserve({"order_id": "o1", "quantity": 2})
        during = list(events.types)
        events.released.set()
        await after_turns()
        return during, events.types

    during, after = asyncio.run(scenario())
    assert during == []
    assert after == ["inventory.item_created", "inventory.item_updated"]


def test_events_are_saved_with_their_change_until_published() -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        sidecar, events = MemorySidecar(), Events()
        events.failing = 1
        inventory = activate_inventory(sidecar, events)
        await inventory.create(ITEM)
        await after_turns()
        waiting = [e["type"] for e in sidecar.stored("Inventory", "tea", "item")["outbox"]]
        await inventory.reserve({"order_id": "o1", "quantity": 1})
        await after_turns()
        kept = [e["id"] for e in sidecar.stored("Inventory", "tea", "item")["outbox"]]
        return waiting, kept + events.types

    waiting, rest = asyncio.run(scenario())
    assert waiting == ["inventory.item_created"]
    # The next turn saved what was still waiting beside its own event, and published both.
    assert rest == ["tea:1", "tea:2", "inventory.item_created", "inventory.item_updated"]


def test_what_a_crash_left_unpublished_is_published_by_the_sweep() -> None:
    """Published after the sweep's turn, and dropped from state by the next sweep."""

    async def scenario() -> tuple[list[str], list[list[object]], bool]:
        sidecar, events = MemorySidecar(), Events()
        events.failing = 1  # the app "dies" before it publishes anything
        await activate_inventory(sidecar, events).create(ITEM)
        await after_turns()
        armed = ("Inventory", "tea", SWEEP) in sidecar.reminders
        restarted = activate_inventory(sidecar, events)
        outboxes = []
        for _ in range(2):
            await restarted.receive_reminder(SWEEP, b"", PERIOD, PERIOD)
            await after_turns()
            outboxes.append(sidecar.stored("Inventory", "tea", "item")["outbox"])
        return events.types, outboxes, armed

    published, (after_first, after_second), armed = asyncio.run(scenario())
    assert armed
    assert published == ["inventory.item_created"]
    assert len(after_first) == 1
    assert after_second == []


def test_a_sweep_holds_no_turn_while_the_broker_is_slow() -> None:
    async def scenario() -> tuple[bool, list[str]]:
        sidecar, events = MemorySidecar(), BlockedEvents()
        await activate_inventory(sidecar, events).create(ITEM)  # its publish waits
        restarted = activate_inventory(sidecar, events)
        # Publishing inside the turn would wait here for as long as the broker does.
        await asyncio.wait_for(restarted.receive_reminder(SWEEP, b"", PERIOD, PERIOD), 5)
        reserved = await restarted.reserve({"order_id": "o1", "quantity": 1})
        events.released.set()
        await after_turns()
        return reserved["ok"], events.types

    reserved, published = asyncio.run(scenario())
    assert reserved
    assert "inventory.item_created" in published


def test_an_event_published_twice_has_the_same_id() -> None:
    async def scenario() -> list[str]:
        sidecar, events = MemorySidecar(), Events()
        await activate_inventory(sidecar, events).create(ITEM)
        await after_turns()
        # A crash after the publish, before the state knew: the next activation sends it again.
        stale = activate_inventory(sidecar, events)
        await stale.receive_reminder(SWEEP, b"", PERIOD, PERIOD)
        await after_turns()
        return [event["id"] for event in events.published]

    ids = asyncio.run(scenario())
    assert len(set(ids)) == 1


def test_the_saga_watch_of_a_final_order_stays_until_its_events_are_out_twice() -> None:
    """Out once, and once more a watch period later: a broker inside the sidecar (the embedded
    profile's) loses what it was delivering when that sidecar is killed."""

    async def scenario() -> tuple[list[bool], list[str]]:
        sidecar, events = MemorySidecar(), Events()
        order = activate_order(sidecar, events)
        await order.place({"customer_id": "u1", "lines": [LINE], "at": AT, "payment": PAYMENT})
        events.failing = 10
        await order.confirm({"at": AT})
        await after_turns()
        kept = []
        # Out after the second firing's turn; the third marks them, the fourth repeats them,
        # the fifth drops them from state and ends the watch.
        for failing in (10, 0, 0, 0, 0):
            events.failing = failing
            await order.receive_reminder(SAGA_WATCH, b"{}", PERIOD, PERIOD)
            await after_turns()
            kept.append(("Order", "o1", SAGA_WATCH) in sidecar.reminders)
        return kept, events.types

    kept, published = asyncio.run(scenario())
    assert kept == [True, True, True, True, False]
    assert published == ["order.placed", "order.confirmed"] * 2


def test_the_repeat_goes_out_a_whole_watch_period_after_the_events_did() -> None:
    """Published right after the turn: the next firing only notes it, the one after repeats
    (after its turn), and the one after that ends the watch."""

    async def scenario() -> list[tuple[bool, list[str]]]:
        sidecar, events = MemorySidecar(), Events()
        order = activate_order(sidecar, events)
        await order.place({"customer_id": "u1", "lines": [LINE], "at": AT, "payment": PAYMENT})
        await after_turns()
        await order.confirm({"at": AT})
        await after_turns()
        seen = []
        for _ in range(3):
            await order.receive_reminder(SAGA_WATCH, b"{}", PERIOD, PERIOD)
            await after_turns()
            seen.append((("Order", "o1", SAGA_WATCH) in sidecar.reminders, list(events.types)))
        return seen

    first, second, third = asyncio.run(scenario())
    assert first == (True, ["order.placed", "order.confirmed"])
    assert second == (True, ["order.placed", "order.confirmed", "order.confirmed"])
    assert third == (False, ["order.placed", "order.confirmed", "order.confirmed"])


def test_a_final_orders_watch_holds_no_turn_while_the_broker_is_slow() -> None:
    async def scenario() -> tuple[bool, list[str]]:
        sidecar, events = MemorySidecar(), BlockedEvents()
        order = activate_order(sidecar, events)
        await order.place({"customer_id": "u1", "lines": [LINE], "at": AT, "payment": PAYMENT})
        await order.confirm({"at": AT})  # its events wait for the broker
        await asyncio.wait_for(order.receive_reminder(SAGA_WATCH, b"{}", PERIOD, PERIOD), 5)
        answered = await order.get()
        events.released.set()
        await after_turns()
        return answered["ok"], events.types

    answered, published = asyncio.run(scenario())
    assert answered
    assert published == ["order.placed", "order.confirmed"]
