"""Typed callers of the actors, shared by the API and the workflow activities.

Each call returns the actor's value or raises `Refused` with the domain's reason.
"""

from typing import Any, Protocol

from actors.outcome import unwrap


class ActorInvoker(Protocol):
    """Calls an actor method through the sidecar and answers its JSON value."""

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any: ...


class _ActorType:
    def __init__(self, invoker: ActorInvoker, name: str) -> None:
        self._invoker, self._name = invoker, name

    async def call(self, actor_id: str, method: str, request: dict[str, Any] | None = None) -> Any:
        return unwrap(await self._invoker.invoke(self._name, actor_id, method, request))


class InventoryClient:
    def __init__(self, invoker: ActorInvoker) -> None:
        self._actors = _ActorType(invoker, "Inventory")

    async def create(self, sku: str, definition: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = await self._actors.call(sku, "Create", definition)
        return item

    async def get(self, sku: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = await self._actors.call(sku, "Get")
        return item

    async def reserve(self, sku: str, order_id: str, quantity: int) -> dict[str, Any]:
        request = {"order_id": order_id, "quantity": quantity}
        answer: dict[str, Any] = await self._actors.call(sku, "Reserve", request)
        return answer

    async def release(self, sku: str, order_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._actors.call(sku, "Release", {"order_id": order_id})
        return answer

    async def commit(self, sku: str, order_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self._actors.call(sku, "Commit", {"order_id": order_id})
        return answer

    async def restock(self, sku: str, quantity: int, ref: str) -> dict[str, Any]:
        request = {"quantity": quantity, "ref": ref}
        answer: dict[str, Any] = await self._actors.call(sku, "Restock", request)
        return answer


class OrderClient:
    def __init__(self, invoker: ActorInvoker) -> None:
        self._actors = _ActorType(invoker, "Order")

    async def place(self, order_id: str, request: dict[str, Any]) -> dict[str, Any]:
        order: dict[str, Any] = await self._actors.call(order_id, "Place", request)
        return order

    async def get(self, order_id: str) -> dict[str, Any] | None:
        order: dict[str, Any] | None = await self._actors.call(order_id, "Get")
        return order

    async def confirm(self, order_id: str, at: str) -> dict[str, Any]:
        order: dict[str, Any] = await self._actors.call(order_id, "Confirm", {"at": at})
        return order

    async def cancel(self, order_id: str, reason: str, at: str) -> dict[str, Any]:
        request = {"reason": reason, "at": at}
        order: dict[str, Any] = await self._actors.call(order_id, "Cancel", request)
        return order
