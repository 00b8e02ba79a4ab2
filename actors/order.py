"""The Order actor (id = order id): places, confirms and cancels one order, idempotently, and
keeps a saga driving it until it is confirmed or cancelled.

Its saga watch, a reminder armed when the order is placed, also sweeps the actor's outbox:
it stays until the order is final and every event the order announced was published.
"""

import json
from abc import abstractmethod
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, cast

from dapr.actor import Actor, ActorId, ActorInterface, Remindable, actormethod
from dapr.actor.runtime.context import ActorRuntimeContext

from actors.guard import still_current
from actors.messages import CancelOrder, ConfirmOrder, OrderView, Payment, PlaceOrder
from actors.metrics import order_stored
from actors.outbox import Outbox
from actors.outcome import Outcome, refusal, succeeded
from actors.state import ActorState
from actors.turns import answered_in_turn, reminded_in_turn
from common.events import EventDocument, Publisher, new_event
from common.tenancy import split_id
from domain import order as model
from domain.errors import Conflict, DomainError, NotFound

STATE_KEY = "order"
TOPIC = "orders"
SOURCE = "orders/order"
SAGA_WATCH = "keep-saga"

# Makes sure a saga drives the pending order (its tenant, its view and how it is paid); see
# app.checkout.
KeepSaga = Callable[[str, OrderView, Payment], Awaitable[str]]


class OrderInterface(ActorInterface):
    @actormethod(name="Place")
    @abstractmethod
    async def place(self, request: PlaceOrder) -> Outcome: ...

    @actormethod(name="Get")
    @abstractmethod
    async def get(self) -> Outcome: ...

    @actormethod(name="Confirm")
    @abstractmethod
    async def confirm(self, request: ConfirmOrder) -> Outcome: ...

    @actormethod(name="Cancel")
    @abstractmethod
    async def cancel(self, request: CancelOrder) -> Outcome: ...


def order_view(order: model.Order) -> OrderView:
    document = {**order.to_dict(), "total_cents": order.total_cents, "created_at": order.created_at}
    return cast(OrderView, document)


class Order(Actor, OrderInterface, Remindable):
    """The id is the order id, scoped by tenant (common/tenancy.py), and so is its saga's:
    the order itself knows only its own id; the events it announces name its tenant."""

    def __init__(
        self,
        ctx: ActorRuntimeContext,
        actor_id: ActorId,
        events: Publisher,
        keep_saga: KeepSaga,
        saga_watch: timedelta,
    ) -> None:
        super().__init__(ctx, actor_id)
        self._outbox = Outbox(events, TOPIC)
        self._keep_saga, self._saga_watch = keep_saga, saga_watch
        self._tenant, self._order_id = split_id(actor_id.id)
        self._state = ActorState(ctx, actor_id.id)
        self._stored: dict[str, Any] | None = None
        self._legacy: dict[str, Any] | None = None
        # Set by the saga watch once it has seen a final order's events published.
        self._repeat_due = False

    @answered_in_turn
    async def place(self, request: PlaceOrder) -> Outcome:
        lines = [model.OrderLine(**line) for line in request["lines"]]
        existing = await self._load()
        if existing is not None:
            if (existing.customer_id, existing.lines) == (request["customer_id"], lines):
                return succeeded(order_view(existing))
            return refusal(Conflict(f"order {self._order_id} exists with other lines"))
        try:
            order = model.Order.place(self._order_id, request["customer_id"], lines, request["at"])
        except DomainError as error:
            return refusal(error)
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

    @reminded_in_turn
    async def receive_reminder(
        self,
        name: str,
        state: bytes,
        due_time: timedelta,  # noqa: ARG002 (SDK signature)
        period: timedelta,  # noqa: ARG002
        ttl: timedelta | None = None,  # noqa: ARG002
    ) -> None:
        """The saga watch: while the order is pending, a saga must be driving it; once it is
        final, the watch ends when every event of the order is published, and published once
        more a watch period later (a broker inside a sidecar killed meanwhile loses it). Both
        publishes go out after the firing's turn, as a method's events do: a slow broker
        holds no turn of the order."""
        if name != SAGA_WATCH:
            return
        order = await self._load()
        if order is None:
            await self.unregister_reminder(SAGA_WATCH)
            return
        if not order.is_final:
            await self._keep_saga(self._tenant, order_view(order), json.loads(state))
            return
        if self._outbox.unpublished:
            return  # published after this turn (turn_ended)
        if self._outbox.needs_trim:
            # The firing that first finds the events out only marks them, so the repeat goes
            # out at least a period after they did, past a sidecar killed in between; a firing
            # after the repeat drops them from state.
            if not self._repeat_due:
                self._repeat_due = True
                return
            if not self._outbox.repeated:
                self._outbox.repeat_later()
                return
            await self._write(order, [])
        await self.unregister_reminder(SAGA_WATCH)

    @answered_in_turn
    async def get(self) -> Outcome:
        order = await self._load()
        return succeeded(order_view(order) if order else None)

    @answered_in_turn
    async def confirm(self, request: ConfirmOrder) -> Outcome:
        return await self._transition(lambda order: order.confirm(request["at"]))

    @answered_in_turn
    async def cancel(self, request: CancelOrder) -> Outcome:
        return await self._transition(lambda order: order.cancel(request["reason"], request["at"]))

    def turn_ended(self) -> None:
        self._outbox.publish_later()

    async def _transition(self, move: Callable[[model.Order], None]) -> Outcome:
        order = await self._load()
        if order is None:
            return refusal(NotFound(f"no order {self._order_id}"))
        try:
            move(order)
        except DomainError as error:
            return refusal(error)
        if order.events:
            await self._save(order)
        return succeeded(order_view(order))

    def _raw(self, loaded: dict[str, Any] | None) -> Any:
        """What the store held when this turn loaded it (state from before the outbox held the
        order at the top level)."""
        return self._legacy if loaded is not None and self._legacy is not None else loaded

    async def _load(self) -> model.Order | None:
        if self._stored is None:
            stored = await self._state.load(STATE_KEY)
            if stored is None:
                return None
            # State written before the outbox held the order itself at the top level.
            self._legacy = None if "order" in stored else stored
            self._stored = stored if "order" in stored else {"order": stored}
            self._outbox.load(stored.get("outbox", []))
        return model.Order.from_dict(self._stored["order"])

    async def _save(self, order: model.Order) -> None:
        """The order and the events it announces go in one transaction; the events are
        published after the turn."""
        view = order_view(order)
        when = order.history[-1].at
        # Ids from the actor id: unique across tenants, as they were before tenants.
        events = [
            new_event(
                event.type, f"{self.id.id}:{event.status.value}", view, when, SOURCE, self._tenant
            )
            for event in order.events
        ]
        await self._write(order, events)
        order_stored(order.status, order.status_reason, order.created_at, when)
        order.events.clear()

    async def _write(self, order: model.Order, events: list[EventDocument]) -> None:
        outbox = self._outbox.to_store(events)
        stored = {"order": order.to_dict(), "outbox": outbox}
        # Forgotten until the transaction is known to have landed: a caller's retry must find
        # the state as stored, so it saves (and announces) the change again.
        loaded, self._stored = self._stored, None
        await still_current(self._state, STATE_KEY, self._raw(loaded))
        await self._state.save({STATE_KEY: stored})
        self._stored = stored
        self._outbox.saved(outbox)
