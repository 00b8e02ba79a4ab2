"""The actors' side of daprd in memory (state, reminders) and a publisher that records, so
actor classes run in a unit test exactly as the SDK's runtime would run them."""

import asyncio
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import grpc
from dapr.actor import ActorId
from dapr.actor.runtime._type_information import ActorTypeInformation
from dapr.actor.runtime._type_utils import get_dispatchable_attrs
from dapr.actor.runtime.context import ActorRuntimeContext

from actors.inventory import Inventory
from actors.messages import OrderView, Payment
from actors.order import Order
from actors.serializer import PlainJson
from common.events import EventDocument


class SaveFailed(Exception):
    pass


class MemorySidecar:
    """The actor state and reminder calls of daprd, yielding to other calls at each one."""

    def __init__(self) -> None:
        self.state: dict[tuple[str, str, str], bytes] = {}
        self.reminders: dict[tuple[str, str, str], bytes] = {}
        self.failing_saves = 0
        # What a failing save raises; the app's real client raises grpc.RpcError.
        self.save_failure: Exception = SaveFailed("the sidecar went away")

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        await asyncio.sleep(0)
        return self.state.get((actor_type, actor_id, name), b"")

    async def save_states(
        self, actor_type: str, actor_id: str, values: Mapping[str, bytes]
    ) -> None:
        await asyncio.sleep(0)
        if self.failing_saves:
            self.failing_saves -= 1
            raise self.save_failure
        for name, value in values.items():
            self.state[actor_type, actor_id, name] = value

    async def register_reminder(
        self, actor_type: str, actor_id: str, name: str, data: bytes
    ) -> None:
        await asyncio.sleep(0)
        self.reminders[actor_type, actor_id, name] = data

    async def unregister_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        await asyncio.sleep(0)
        self.reminders.pop((actor_type, actor_id, name), None)

    def stored(self, actor_type: str, actor_id: str, name: str) -> Any:
        return json.loads(self.state[actor_type, actor_id, name])


class Events:
    """Records what is published; `failing` makes that many publishes fail first."""

    def __init__(self) -> None:
        self.published: list[EventDocument] = []
        self.failing = 0

    async def publish(self, _topic: str, event: EventDocument) -> None:
        await asyncio.sleep(0)
        if self.failing:
            self.failing -= 1
            raise ConnectionError("the pub/sub component is down")
        self.published.append(event)

    @property
    def types(self) -> list[str]:
        return [event["type"] for event in self.published]


def runtime(actor_class: type, sidecar: MemorySidecar) -> ActorRuntimeContext:
    type_info = ActorTypeInformation.create(actor_class)
    return ActorRuntimeContext(type_info, PlainJson(), PlainJson(), sidecar)  # type: ignore[arg-type]


def activate_inventory(sidecar: MemorySidecar, events: Events, sku: str = "tea") -> Inventory:
    return Inventory(runtime(Inventory, sidecar), ActorId(sku), events)


def activate_order(sidecar: MemorySidecar, events: Events, order_id: str = "o1") -> Order:
    async def keep_saga(_tenant: str, _order: OrderView, _payment: Payment) -> str:
        return "running"

    ctx = runtime(Order, sidecar)
    return Order(ctx, ActorId(order_id), events, keep_saga, timedelta(seconds=30))


async def after_turns() -> None:
    """Lets the publishes that the actors start after their turns run."""
    for _ in range(20):
        await asyncio.sleep(0)


class InventoryInMemory:
    """An `ActorInvoker` for the Inventory actors over a MemorySidecar: each call activates the
    actor and dispatches by method name, and the outcome crosses JSON, as through daprd."""

    def __init__(self, sidecar: MemorySidecar, events: Events) -> None:
        self.sidecar, self.events = sidecar, events
        self._methods = get_dispatchable_attrs(Inventory)

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any:
        assert actor_type == "Inventory", actor_type
        actor = activate_inventory(self.sidecar, self.events, actor_id)
        call = getattr(actor, self._methods[method]["method_name"])
        outcome = await (call() if request is None else call(request))
        return json.loads(json.dumps(outcome))


def store_error(code: grpc.StatusCode = grpc.StatusCode.INTERNAL) -> grpc.aio.AioRpcError:
    """What the app's sidecar client raises when daprd fails a state call with `code`."""
    details = "ERR_ACTOR_STATE_TRANSACTION_SAVE: the store failed"
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details)
