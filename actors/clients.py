"""Typed callers of the actors, shared by the API, the subscribers and the saga's activities.

Each call returns the actor's value or raises `Refused` with the domain's reason, or
`ActorUnavailable` when the actor could not read or save its state (try again). The
Protocols are what the callers depend on; the in-process tests give them fakes.
"""

from typing import Any, Protocol

from actors.messages import (
    ImageMeta,
    ImageShown,
    ItemDefinition,
    ItemView,
    OrderView,
    PlaceOrder,
    StockChange,
)
from actors.outcome import Outcome, unwrap


class ActorInvoker(Protocol):
    """Calls an actor method through the sidecar and answers its JSON value."""

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any: ...


class InventoryActors(Protocol):
    async def create(self, sku: str, definition: ItemDefinition) -> ItemView: ...

    async def get(self, sku: str) -> ItemView | None: ...

    async def reserve(self, sku: str, order_id: str, quantity: int) -> StockChange: ...

    async def release(self, sku: str, order_id: str) -> StockChange: ...

    async def commit(self, sku: str, order_id: str) -> StockChange: ...

    async def restock(self, sku: str, quantity: int, ref: str) -> StockChange: ...

    async def show_image(self, sku: str, image: ImageMeta) -> ImageShown: ...


class OrderActors(Protocol):
    async def place(self, order_id: str, request: PlaceOrder) -> OrderView: ...

    async def get(self, order_id: str) -> OrderView | None: ...

    async def confirm(self, order_id: str, at: str) -> OrderView: ...

    async def cancel(self, order_id: str, reason: str, at: str) -> OrderView: ...


class _ActorType:
    def __init__(self, invoker: ActorInvoker, name: str) -> None:
        self._invoker, self._name = invoker, name

    async def call(self, actor_id: str, method: str, request: Any = None) -> Any:
        outcome: Outcome = await self._invoker.invoke(self._name, actor_id, method, request)
        return unwrap(outcome)


class InventoryClient:
    def __init__(self, invoker: ActorInvoker) -> None:
        self._actors = _ActorType(invoker, "Inventory")

    async def create(self, sku: str, definition: ItemDefinition) -> ItemView:
        item: ItemView = await self._actors.call(sku, "Create", definition)
        return item

    async def get(self, sku: str) -> ItemView | None:
        item: ItemView | None = await self._actors.call(sku, "Get")
        return item

    async def reserve(self, sku: str, order_id: str, quantity: int) -> StockChange:
        request = {"order_id": order_id, "quantity": quantity}
        change: StockChange = await self._actors.call(sku, "Reserve", request)
        return change

    async def release(self, sku: str, order_id: str) -> StockChange:
        change: StockChange = await self._actors.call(sku, "Release", {"order_id": order_id})
        return change

    async def commit(self, sku: str, order_id: str) -> StockChange:
        change: StockChange = await self._actors.call(sku, "Commit", {"order_id": order_id})
        return change

    async def restock(self, sku: str, quantity: int, ref: str) -> StockChange:
        request = {"quantity": quantity, "ref": ref}
        change: StockChange = await self._actors.call(sku, "Restock", request)
        return change

    async def show_image(self, sku: str, image: ImageMeta) -> ImageShown:
        shown: ImageShown = await self._actors.call(sku, "ShowImage", image)
        return shown


class OrderClient:
    def __init__(self, invoker: ActorInvoker) -> None:
        self._actors = _ActorType(invoker, "Order")

    async def place(self, order_id: str, request: PlaceOrder) -> OrderView:
        order: OrderView = await self._actors.call(order_id, "Place", request)
        return order

    async def get(self, order_id: str) -> OrderView | None:
        order: OrderView | None = await self._actors.call(order_id, "Get")
        return order

    async def confirm(self, order_id: str, at: str) -> OrderView:
        order: OrderView = await self._actors.call(order_id, "Confirm", {"at": at})
        return order

    async def cancel(self, order_id: str, reason: str, at: str) -> OrderView:
        request = {"reason": reason, "at": at}
        order: OrderView = await self._actors.call(order_id, "Cancel", request)
        return order
