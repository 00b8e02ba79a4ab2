"""The Inventory actor (id = SKU): a catalog item and its stock, one turn at a time.

Turn-based concurrency is what keeps reservations from overselling: the runtime runs one
method of one SKU at a time, so load → domain → save never interleaves. What a change
announces goes to the actor's outbox in the same save and is published after the turn.
"""

from abc import abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from dapr.actor import Actor, ActorId, ActorInterface, Remindable, actormethod
from dapr.actor.runtime.context import ActorRuntimeContext

from actors.guard import still_current
from actors.messages import (
    ImageMeta,
    ImageShown,
    ItemDefinition,
    ItemView,
    OrderRef,
    Reservation,
    Restock,
)
from actors.outbox import Outbox
from actors.outcome import Outcome, refusal, succeeded
from actors.state import ActorState
from actors.turns import answered_in_turn, reminded_in_turn
from common.events import EventDocument, Publisher, new_event
from common.tenancy import split_id
from domain.catalog import Image, Item
from domain.errors import Conflict, DomainError, NotFound
from domain.stock import order_record, restock_record

STATE_KEY = "item"
TOPIC = "inventory"
SOURCE = "orders/inventory"
# Publishes what a crash left in the outbox; armed while the actor is active.
SWEEP = "outbox-sweep"
SWEEP_PERIOD = timedelta(seconds=30)


class InventoryInterface(ActorInterface):
    @actormethod(name="Create")
    @abstractmethod
    async def create(self, request: ItemDefinition) -> Outcome: ...

    @actormethod(name="Get")
    @abstractmethod
    async def get(self) -> Outcome: ...

    @actormethod(name="Reserve")
    @abstractmethod
    async def reserve(self, request: Reservation) -> Outcome: ...

    @actormethod(name="Release")
    @abstractmethod
    async def release(self, request: OrderRef) -> Outcome: ...

    @actormethod(name="Commit")
    @abstractmethod
    async def commit(self, request: OrderRef) -> Outcome: ...

    @actormethod(name="Restock")
    @abstractmethod
    async def restock(self, request: Restock) -> Outcome: ...

    @actormethod(name="ShowImage")
    @abstractmethod
    async def show_image(self, request: ImageMeta) -> Outcome: ...


def image_meta(image: Image | None) -> ImageMeta | None:
    if image is None:
        return None
    return {
        "key": image.key,
        "content_type": image.content_type,
        "size": image.size,
        "digest": image.digest,
        "updated_at": image.updated_at,
    }


def item_view(item: Item) -> ItemView:
    return {
        "sku": item.sku,
        "name": item.name,
        "price_cents": item.price_cents,
        "available": item.stock.available,
        "reserved": item.stock.reserved,
        "image": image_meta(item.image),
    }


class Inventory(Actor, InventoryInterface, Remindable):
    """The id is the SKU, scoped by tenant (common/tenancy.py): the item itself knows only
    its SKU; the events it announces name its tenant."""

    def __init__(self, ctx: ActorRuntimeContext, actor_id: ActorId, events: Publisher) -> None:
        super().__init__(ctx, actor_id)
        self._tenant, self._sku = split_id(actor_id.id)
        self._outbox = Outbox(events, TOPIC)
        # State goes straight to the sidecar, not through the SDK's state manager: that one
        # caches every key read for the life of the activation and reads a new key twice
        # before writing it.
        self._state = ActorState(ctx, actor_id.id)
        self._stored: dict[str, Any] | None = None
        self._sweep_armed = False

    @answered_in_turn
    async def create(self, request: ItemDefinition) -> Outcome:
        try:
            wanted = Item.create(
                self._sku,
                request["name"],
                request["price_cents"],
                request["stock"],
                request["low_stock_threshold"],
            )
        except DomainError as error:
            return refusal(error)
        existing, version = await self._load()
        if existing is None:
            await self._save(wanted, version + 1, "inventory.item_created")
            return succeeded(item_view(wanted))
        if existing.same_definition(wanted):
            return succeeded(item_view(existing))
        return refusal(Conflict(f"item {self._sku} exists with another name or price"))

    @answered_in_turn
    async def get(self) -> Outcome:
        item, _ = await self._load()
        return succeeded(item_view(item) if item else None)

    @answered_in_turn
    async def reserve(self, request: Reservation) -> Outcome:
        order_id, quantity = request["order_id"], request["quantity"]
        return await self._change(
            order_record(order_id), lambda item: item.stock.reserve(order_id, quantity)
        )

    @answered_in_turn
    async def release(self, request: OrderRef) -> Outcome:
        order_id = request["order_id"]
        return await self._change(order_record(order_id), lambda item: item.stock.release(order_id))

    @answered_in_turn
    async def commit(self, request: OrderRef) -> Outcome:
        order_id = request["order_id"]
        return await self._change(order_record(order_id), lambda item: item.stock.commit(order_id))

    @answered_in_turn
    async def restock(self, request: Restock) -> Outcome:
        quantity, ref = request["quantity"], request["ref"]
        return await self._change(
            restock_record(ref), lambda item: item.stock.restock(quantity, ref)
        )

    @answered_in_turn
    async def show_image(self, request: ImageMeta) -> Outcome:
        """Points the item at a stored picture; the same picture again changes nothing."""
        item, version = await self._load()
        if item is None:
            return refusal(NotFound(f"no item {self._sku}"))
        shown = item.image
        replaced = item.show(Image(**request))
        if item.image != shown:
            await self._save(item, version + 1, "inventory.item_updated")
        answer: ImageShown = {"item": item_view(item), "replaced": image_meta(replaced)}
        return succeeded(answer)

    @reminded_in_turn
    async def receive_reminder(
        self,
        name: str,
        state: bytes,  # noqa: ARG002 (SDK signature)
        due_time: timedelta,  # noqa: ARG002
        period: timedelta,  # noqa: ARG002
        ttl: timedelta | None = None,  # noqa: ARG002
    ) -> None:
        """The outbox sweep: what a crash left waiting is published after this turn (a slow
        broker holds no turn of the item), and a later sweep forgets what was sent."""
        if name != SWEEP:
            return
        item, version = await self._load()
        if item is None or self._outbox.unpublished:
            return
        if self._outbox.needs_trim:
            await self._write(item, version, [])

    def turn_ended(self) -> None:
        self._outbox.publish_later()

    async def _on_deactivate(self) -> None:
        """Nothing left to publish: the sweep is needed again only after the next change."""
        if self._sweep_armed and not self._outbox.unpublished:
            await self.unregister_reminder(SWEEP)

    async def _change(self, record: str, change: Callable[[Item], int]) -> Outcome:
        """Load → domain → save, reading and writing the item's counts and the one record the
        change is about; a replay that changes nothing saves and publishes nothing."""
        item, version = await self._load(record)
        if item is None:
            return refusal(NotFound(f"no item {self._sku}"))
        before = item.to_dict()
        try:
            result = change(item)
        except DomainError as error:
            return refusal(error)
        if item.to_dict() != before:
            await self._save(item, version + 1, "inventory.item_updated")
        return succeeded({"result": result, "item": item_view(item)})

    async def _load(self, *records: str) -> tuple[Item | None, int]:
        """The item with its counts and, of its records, the ones named. The counts stay in
        memory while the actor is active (one activation at a time owns them); records are
        read when needed, so memory does not grow with the orders a SKU has seen."""
        if self._stored is None:
            stored = await self._state.load(STATE_KEY)
            if stored is None:
                return None, 0
            self._stored = stored
            self._outbox.load(stored.get("outbox", []))
        loaded = {}
        for name in records:
            value = await self._state.load(name)
            if value is not None:
                loaded[name] = value
        item = self._stored["item"]
        stock = {**item["stock"], "records": loaded}
        return Item.from_dict({**item, "stock": stock}), self._stored["version"]

    async def _save(self, item: Item, version: int, event_type: str) -> None:
        """The counts, the records the change touched and the events it announces go in one
        transaction; the events are published after the turn."""
        now = datetime.now(UTC).isoformat()
        view: dict[str, Any] = {**item_view(item), "version": version}
        # Ids from the actor id: unique across tenants, as they were before tenants.
        events = [self._event(event_type, f"{self.id.id}:{version}", view, now)]
        for low in item.stock.events:
            data = {
                "sku": item.sku,
                "available": low.available,
                "threshold": low.threshold,
                "version": version,
            }
            event_id = f"{self.id.id}:{version}:low_stock"
            events.append(self._event("inventory.low_stock", event_id, data, now))
        item.stock.events.clear()
        if not self._sweep_armed:
            # Before the save, so no saved event is left without a sweep if the app dies.
            await self.register_reminder(SWEEP, b"", SWEEP_PERIOD, SWEEP_PERIOD)
            self._sweep_armed = True
        await self._write(item, version, events)

    def _event(self, kind: str, event_id: str, data: dict[str, Any], at: str) -> EventDocument:
        return new_event(kind, event_id, data, at, SOURCE, self._tenant)

    async def _write(self, item: Item, version: int, events: list[EventDocument]) -> None:
        document = item.to_dict()
        records = document["stock"].pop("records")
        outbox = self._outbox.to_store(events)
        stored = {"item": document, "version": version, "outbox": outbox}
        loaded, self._stored = self._stored, None  # until the transaction is known to have landed
        await still_current(self._state, STATE_KEY, loaded)
        await self._state.save({STATE_KEY: stored, **records})
        self._stored = stored
        self._outbox.saved(outbox)
