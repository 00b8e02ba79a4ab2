"""The Order actor (id = order id): places, confirms and cancels one order, idempotently, and
keeps a saga driving it until it is confirmed or cancelled."""

import json
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from dapr.actor import Actor, ActorId, ActorInterface, Remindable, actormethod
from dapr.actor.runtime.context import ActorRuntimeContext

from actors.outcome import Outcome, refused, succeeded
from actors.turns import in_turn
from app.checkout import saga_input
from app.events import EventPublisher, cloud_event
from app.observability.metrics import order_stored
from domain import order as model
from domain.errors import DomainError

STATE_KEY = "order"
TOPIC = "orders"
SAGA_WATCH = "keep-saga"

# Makes sure a saga drives the order (the order id, the saga's input); see app.checkout.
KeepSaga = Callable[[str, dict[str, Any]], Awaitable[str]]


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


class Order(Actor, OrderInterface, Remindable):
    def __init__(
        self,
        ctx: ActorRuntimeContext,
        actor_id: ActorId,
        events: EventPublisher,
        keep_saga: KeepSaga,
        saga_watch: timedelta,
    ) -> None:
        super().__init__(ctx, actor_id)
        self._events = events
        self._keep_saga, self._saga_watch = keep_saga, saga_watch

    @in_turn
    async def place(self, request: dict[str, Any]) -> Outcome:
        """`request`: customer_id, lines, at, and the `payment` its saga charges with."""
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
        # Armed before the order is stored, so no stored order is left without a watch when
        # the caller dies before its saga starts; a watch that finds no order ends itself.
        await self.register_reminder(
            SAGA_WATCH,
            json.dumps(request["payment"]).encode(),
            due_time=self._saga_watch,
            period=self._saga_watch,
        )
        await self._save(order)
        return succeeded(order_view(order))

    @in_turn
    async def receive_reminder(
        self,
        name: str,
        state: bytes,
        due_time: timedelta,  # noqa: ARG002 (SDK signature)
        period: timedelta,  # noqa: ARG002
        ttl: timedelta | None = None,  # noqa: ARG002
    ) -> None:
        """The saga watch: while the order is pending, a saga must be driving it."""
        if name != SAGA_WATCH:
            return
        order = await self._load()
        if order is None or order.is_final:
            await self.unregister_reminder(SAGA_WATCH)
            return
        await self._keep_saga(self.id.id, saga_input(order_view(order), json.loads(state)))

    @in_turn
    async def get(self) -> Outcome:
        order = await self._load()
        return succeeded(order_view(order) if order else None)

    @in_turn
    async def confirm(self, request: dict[str, Any]) -> Outcome:
        return await self._transition(lambda order: order.confirm(request["at"]))

    @in_turn
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
        try:
            await self._state_manager.save_state()
        except BaseException:
            # The SDK's cache would otherwise answer the unsaved order to the caller's retry,
            # which then saves it without the events this turn did not publish.
            await self._state_manager.clear_cache()
            raise
        if order.events:
            order_stored(order.status, order.status_reason, order.created_at, order.history[-1].at)
        for event in order.events:
            data = {**order_view(order), "event": event.type}
            event_id = f"{order.id}:{event.status.value}"
            when = order.history[-1].at
            await self._events.publish(TOPIC, cloud_event(event.type, event_id, data, when))
        order.events.clear()
