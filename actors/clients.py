"""Typed callers of the actors, shared by the API and the workflow activities.

Each call returns the actor's value or raises `Refused` with the domain's reason.
"""

from typing import Any

from dapr.actor import ActorId, ActorProxy, ActorProxyFactory

from actors.inventory import InventoryInterface
from actors.order import OrderInterface
from actors.outcome import unwrap


class InventoryClient:
    def __init__(self, proxies: ActorProxyFactory) -> None:
        self._proxies = proxies

    def _actor(self, sku: str) -> ActorProxy:
        return self._proxies.create("Inventory", ActorId(sku), InventoryInterface)

    async def create(self, sku: str, definition: dict[str, Any]) -> dict[str, Any]:
        item: dict[str, Any] = unwrap(await self._actor(sku).Create(definition))
        return item

    async def get(self, sku: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = unwrap(await self._actor(sku).Get())
        return item

    async def reserve(self, sku: str, order_id: str, quantity: int) -> dict[str, Any]:
        return await self._call(sku, "Reserve", {"order_id": order_id, "quantity": quantity})

    async def release(self, sku: str, order_id: str) -> dict[str, Any]:
        return await self._call(sku, "Release", {"order_id": order_id})

    async def commit(self, sku: str, order_id: str) -> dict[str, Any]:
        return await self._call(sku, "Commit", {"order_id": order_id})

    async def restock(self, sku: str, quantity: int, ref: str) -> dict[str, Any]:
        return await self._call(sku, "Restock", {"quantity": quantity, "ref": ref})

    async def _call(self, sku: str, method: str, request: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = unwrap(await getattr(self._actor(sku), method)(request))
        return answer


class OrderClient:
    def __init__(self, proxies: ActorProxyFactory) -> None:
        self._proxies = proxies

    def _actor(self, order_id: str) -> ActorProxy:
        return self._proxies.create("Order", ActorId(order_id), OrderInterface)

    async def place(self, order_id: str, request: dict[str, Any]) -> dict[str, Any]:
        return await self._call(order_id, "Place", request)

    async def get(self, order_id: str) -> dict[str, Any] | None:
        order: dict[str, Any] | None = unwrap(await self._actor(order_id).Get())
        return order

    async def confirm(self, order_id: str, at: str) -> dict[str, Any]:
        return await self._call(order_id, "Confirm", {"at": at})

    async def cancel(self, order_id: str, reason: str, at: str) -> dict[str, Any]:
        return await self._call(order_id, "Cancel", {"reason": reason, "at": at})

    async def _call(self, order_id: str, method: str, request: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = unwrap(await getattr(self._actor(order_id), method)(request))
        return answer
