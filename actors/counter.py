"""A tiny counter actor: the vertical slice's proof that actor state works end to end.

Increments are idempotent on the caller's key, because workflow activities run at least once.
"""

from abc import abstractmethod
from typing import Any

from dapr.actor import Actor, ActorInterface, actormethod

COUNT_KEY = "count"
APPLIED_KEY = "applied"


class CounterInterface(ActorInterface):
    @actormethod(name="Increment")
    @abstractmethod
    async def increment(self, request: dict[str, Any]) -> int: ...

    @actormethod(name="Get")
    @abstractmethod
    async def get(self) -> int: ...


class Counter(Actor, CounterInterface):
    async def increment(self, request: dict[str, Any]) -> int:
        key, by = str(request["key"]), int(request["by"])
        applied: dict[str, int] = await self._get(APPLIED_KEY, {})
        if key in applied:
            return applied[key]
        count: int = await self._get(COUNT_KEY, 0) + by
        applied[key] = count
        await self._state_manager.set_state(COUNT_KEY, count)
        await self._state_manager.set_state(APPLIED_KEY, applied)
        return count

    async def get(self) -> int:
        count: int = await self._get(COUNT_KEY, 0)
        return count

    async def _get(self, name: str, default: Any) -> Any:
        found, value = await self._state_manager.try_get_state(name)
        return value if found else default
