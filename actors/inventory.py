"""The Inventory actor (id = SKU): a catalog item and its stock, one turn at a time.

Turn-based concurrency is what keeps reservations from overselling: the runtime runs one
method of one SKU at a time, so load → domain → save never interleaves.
"""

from abc import abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dapr.actor import Actor, ActorId, ActorInterface, actormethod
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.actor.runtime.state_change import ActorStateChange, StateChangeKind

from actors.outcome import Outcome, refused, succeeded
from actors.turns import in_turn
from app.events import EventPublisher, cloud_event
from domain.catalog import Item
from domain.errors import DomainError
from domain.stock import order_record, restock_record

STATE_KEY = "item"
TOPIC = "inventory"


class InventoryInterface(ActorInterface):
    @actormethod(name="Create")
    @abstractmethod
    async def create(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Get")
    @abstractmethod
    async def get(self) -> Outcome: ...

    @actormethod(name="Reserve")
    @abstractmethod
    async def reserve(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Release")
    @abstractmethod
    async def release(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Commit")
    @abstractmethod
    async def commit(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Restock")
    @abstractmethod
    async def restock(self, request: dict[str, Any]) -> Outcome: ...


def item_view(item: Item) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "name": item.name,
        "price_cents": item.price_cents,
        "available": item.stock.available,
        "reserved": item.stock.reserved,
    }


class Inventory(Actor, InventoryInterface):
    def __init__(self, ctx: ActorRuntimeContext, actor_id: ActorId, events: EventPublisher) -> None:
        super().__init__(ctx, actor_id)
        self._events = events
        # State goes straight to the sidecar, not through the SDK's state manager: that one
        # caches every key read for the life of the activation and reads a new key twice
        # before writing it.
        self._state = ctx.state_provider
        self._type = ctx.actor_type_info.type_name
        self._stored: dict[str, Any] | None = None

    @in_turn
    async def create(self, request: dict[str, Any]) -> Outcome:
        wanted = Item.create(
            self.id.id,
            request["name"],
            request["price_cents"],
            request["stock"],
            request["low_stock_threshold"],
        )
        existing, version = await self._load()
        if existing is None:
            await self._save(wanted, version + 1, "inventory.item_created")
            return succeeded(item_view(wanted))
        if existing.same_definition(wanted):
            return succeeded(item_view(existing))
        return refused("Conflict", f"item {self.id.id} exists with another name or price")

    @in_turn
    async def get(self) -> Outcome:
        item, _ = await self._load()
        return succeeded(item_view(item) if item else None)

    @in_turn
    async def reserve(self, request: dict[str, Any]) -> Outcome:
        order_id, quantity = request["order_id"], request["quantity"]
        return await self._change(
            order_record(order_id), lambda item: item.stock.reserve(order_id, quantity)
        )

    @in_turn
    async def release(self, request: dict[str, Any]) -> Outcome:
        order_id = request["order_id"]
        return await self._change(order_record(order_id), lambda item: item.stock.release(order_id))

    @in_turn
    async def commit(self, request: dict[str, Any]) -> Outcome:
        order_id = request["order_id"]
        return await self._change(order_record(order_id), lambda item: item.stock.commit(order_id))

    @in_turn
    async def restock(self, request: dict[str, Any]) -> Outcome:
        quantity, ref = request["quantity"], request["ref"]
        return await self._change(
            restock_record(ref), lambda item: item.stock.restock(quantity, ref)
        )

    async def _change(self, record: str, change: Callable[[Item], Any]) -> Outcome:
        """Load → domain → save, reading and writing the item's counts and the one record the
        change is about; a replay that changes nothing saves and publishes nothing."""
        item, version = await self._load(record)
        if item is None:
            return refused("NotFound", f"no item {self.id.id}")
        before = item.to_dict()
        try:
            result = change(item)
        except DomainError as error:
            return refused(type(error).__name__, str(error))
        if item.to_dict() != before:
            await self._save(item, version + 1, "inventory.item_updated")
        return succeeded({"result": result, "item": item_view(item)})

    async def _load(self, *records: str) -> tuple[Item | None, int]:
        """The item with its counts and, of its records, the ones named. The counts stay in
        memory while the actor is active (one activation at a time owns them); records are
        read when needed, so memory does not grow with the orders a SKU has seen."""
        if self._stored is None:
            found, stored = await self._state.try_load_state(self._type, self.id.id, STATE_KEY)
            if not found:
                return None, 0
            self._stored = stored
        loaded = {}
        for name in records:
            found, value = await self._state.try_load_state(self._type, self.id.id, name)
            if found:
                loaded[name] = value
        item = self._stored["item"]
        stock = {**item["stock"], "records": loaded}
        return Item.from_dict({**item, "stock": stock}), self._stored["version"]

    async def _save(self, item: Item, version: int, event_type: str) -> None:
        """Saves before publishing, so no event announces a change that was not stored. The
        counts and the records go in one transaction."""
        document = item.to_dict()
        records = document["stock"].pop("records")
        stored = {"item": document, "version": version}
        changes = [
            ActorStateChange(name, value, StateChangeKind.update)
            for name, value in [(STATE_KEY, stored), *records.items()]
        ]
        self._stored = None  # until the transaction is known to have landed
        await self._state.save_state(self._type, self.id.id, changes)
        self._stored = stored
        now = datetime.now(UTC).isoformat()
        sku = item.sku
        view = {**item_view(item), "version": version}
        await self._events.publish(TOPIC, cloud_event(event_type, f"{sku}:{version}", view, now))
        for low in item.stock.events:
            data = {"sku": sku, "available": low.available, "threshold": low.threshold}
            event = cloud_event("inventory.low_stock", f"{sku}:{version}:low_stock", data, now)
            await self._events.publish(TOPIC, event)
        item.stock.events.clear()
