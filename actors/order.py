"""The Order actor (id = order id): places, confirms and cancels one order, idempotently."""

from abc import abstractmethod
from typing import Any

from dapr.actor import Actor, ActorId, ActorInterface, actormethod
from dapr.actor.runtime.context import ActorRuntimeContext

from actors.outcome import Outcome, refused, succeeded
from app.events import EventPublisher, cloud_event
from app.observability.metrics import order_finished
from domain import order as model
from domain.errors import DomainError

STATE_KEY = "order"
TOPIC = "orders"


class OrderInterface(ActorInterface):
    @actormethod(name="Place")
    @abstractmethod
    async def place(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Get")
    @abstractmethod
    async def get(self) -> Outcome: ...

    @actormethod(name="Confirm")
    @abstractmethod
    async def confirm(self, request: dict[str, Any]) -> Outcome: ...

    @actormethod(name="Cancel")
    @abstractmethod
    async def cancel(self, request: dict[str, Any]) -> Outcome: ...


def order_view(order: model.Order) -> dict[str, Any]:
    return {**order.to_dict(), "total_cents": order.total_cents, "created_at": order.created_at}


class Order(Actor, OrderInterface):
    def __init__(self, ctx: ActorRuntimeContext, actor_id: ActorId, events: EventPublisher) -> None:
        super().__init__(ctx, actor_id)
        self._events = events

    async def place(self, request: dict[str, Any]) -> Outcome:
        lines = [model.OrderLine(**line) for line in request["lines"]]
        existing = await self._load()
        if existing is not None:
            same = (existing.customer_id, existing.lines) == (request["customer_id"], lines)
            if same:
                return succeeded(order_view(existing))
            return refused("Conflict", f"order {self.id.id} exists with other lines")
        try:
            order = model.Order.place(self.id.id, request["customer_id"], lines, request["at"])
        except DomainError as error:
            return refused(type(error).__name__, str(error))
        await self._save(order)
        return succeeded(order_view(order))

    async def get(self) -> Outcome:
        order = await self._load()
        return succeeded(order_view(order) if order else None)

    async def confirm(self, request: dict[str, Any]) -> Outcome:
        return await self._transition(lambda order: order.confirm(request["at"]))

    async def cancel(self, request: dict[str, Any]) -> Outcome:
        return await self._transition(lambda order: order.cancel(request["reason"], request["at"]))

    async def _transition(self, move: Any) -> Outcome:
        order = await self._load()
        if order is None:
            return refused("NotFound", f"no order {self.id.id}")
        try:
            move(order)
        except DomainError as error:
            return refused(type(error).__name__, str(error))
        if order.events:
            await self._save(order)
        return succeeded(order_view(order))

    async def _load(self) -> model.Order | None:
        found, data = await self._state_manager.try_get_state(STATE_KEY)
        return model.Order.from_dict(data) if found and data is not None else None

    async def _save(self, order: model.Order) -> None:
        """Saves before publishing, so no event announces a change that was not stored."""
        await self._state_manager.set_state(STATE_KEY, order.to_dict())
        await self._state_manager.save_state()
        if order.is_final and order.events:
            order_finished(
                order.status, order.status_reason, order.created_at, order.history[-1].at
            )
        for event in order.events:
            data = {**order_view(order), "event": event.type}
            event_id = f"{order.id}:{event.status.value}"
            when = order.history[-1].at
            await self._events.publish(TOPIC, cloud_event(event.type, event_id, data, when))
        order.events.clear()
