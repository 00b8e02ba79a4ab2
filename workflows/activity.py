"""Saga steps that run outside the workflow: plain async functions of their dependencies and
their input, which the workflow calls by reference and the runtime runs once bound.

    @activity
    async def reserve_line(deps: CheckoutDependencies, line: LineRequest) -> ReservedLine: ...

    yield ctx.call_activity(reserve_line, input=line)            # in the workflow
    runtime.register_activity(reserve_line.bind(deps), name=reserve_line.__name__)
"""

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import structlog
from dapr.ext.workflow import WorkflowActivityContext

from common.observability.logs import bind

log = structlog.get_logger(__name__)
Deps = TypeVar("Deps")
In = TypeVar("In")
Out = TypeVar("Out")

BoundActivity = Callable[[WorkflowActivityContext, In], Awaitable[Out]]


class Activity(Generic[Deps, In, Out]):
    def __init__(self, body: Callable[[Deps, In], Awaitable[Out]]) -> None:
        self.body = body
        self.__name__ = body.__name__

    def __call__(self, ctx: WorkflowActivityContext, payload: In) -> Out:  # noqa: ARG002
        """Only the runtime runs an activity, once `bind` gave it its dependencies; this
        signature is what the workflow's `call_activity` reads the result type from."""
        raise TypeError(f"activity {self.__name__} runs through the workflow runtime")

    def bind(self, dependencies: Deps) -> BoundActivity[In, Out]:
        """What the runtime runs: every line it logs names the saga and the activity."""
        name = self.__name__

        async def run(ctx: WorkflowActivityContext, payload: In) -> Out:
            with bind(order_id=ctx.workflow_id, activity=name):
                try:
                    result = await self.body(dependencies, payload)
                except Exception as error:
                    # The runtime logs only str(error), empty for a timeout: the type says more.
                    log.warning(
                        "activity failed", error_type=type(error).__name__, error=str(error)
                    )
                    raise
                log.info("activity done")
                return result

        run.__name__ = name
        return run


def activity(body: Callable[[Deps, In], Awaitable[Out]]) -> Activity[Deps, In, Out]:
    return Activity(body)
