"""The vertical slice's workflow: one activity that increments a Counter actor."""

from collections.abc import Callable, Coroutine, Generator
from typing import Any

from dapr.actor import ActorId, ActorProxyFactory
from dapr.ext.workflow import DaprWorkflowContext, WorkflowActivityContext

from actors.counter import CounterInterface

Activity = Callable[[WorkflowActivityContext, dict[str, Any]], Coroutine[Any, Any, int]]


def count_workflow(ctx: DaprWorkflowContext, request: dict[str, Any]) -> Generator[Any, Any, int]:
    """Increments the counter once per workflow instance, keyed by the instance id."""
    count: int = yield ctx.call_activity(
        "increment_counter",
        input={"counter_id": request["counter_id"], "key": ctx.instance_id, "by": request["by"]},
    )
    return count


def build_increment_counter(actors: ActorProxyFactory) -> Activity:
    async def increment_counter(_ctx: WorkflowActivityContext, request: dict[str, Any]) -> int:
        counter = actors.create("Counter", ActorId(request["counter_id"]), CounterInterface)
        count: int = await counter.Increment({"key": request["key"], "by": request["by"]})
        return count

    return increment_counter
