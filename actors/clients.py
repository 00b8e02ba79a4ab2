"""Typed callers of the actors, shared by the API and the workflow activities.

Each call returns the actor's value or raises `Refused` with the domain's reason.
"""

from typing import Any, Protocol

from dapr.actor import ActorId, ActorInterface, ActorProxy

from actors.inventory import InventoryInterface
from actors.order import OrderInterface
from actors.outcome import unwrap


class ActorProxies(Protocol):
    """What makes actor proxies: the SDK's ActorProxyFactory, or app/sidecar.py's."""

    def create(
        self, actor_type: str, actor_id: ActorId, actor_interface: type[ActorInterface] | None
    ) -> ActorProxy: ...


class _ActorType:
    def __init__(self, proxies: ActorProxies, name: str, interface: type[ActorInterface]):
        self._proxies, self._name, self._interface = proxies, name, interface

    async def call(self, actor_id: str, method: str, *request: dict[str, Any]) -> Any:
        proxy = self._proxies.create(self._name, ActorId(actor_id), self._interface)
        return unwrap(await getattr(proxy, method)(*request))


class InventoryClient:
    def __init__(self, proxies: ActorProxies) -> None:
        self._actors = _ActorType(proxies, "Inventory", InventoryInterface)

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
    def __init__(self, proxies: ActorProxies) -> None:
        self._actors = _ActorType(proxies, "Order", OrderInterface)

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
