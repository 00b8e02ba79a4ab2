"""A fake workflow context: runs a workflow generator to its end with no sidecar.

Tasks are the SDK's own durable-task objects, so `when_all` and `when_any` combine them just as
they do under the real runtime; a `World` says how activities answer, which external events
have arrived and whether timers fire.
"""

from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

# The SDK's task types (a private module of dapr-ext-workflow): reusing them keeps the
# semantics of when_all / when_any exactly those of the runtime.
from dapr.ext.workflow._durabletask.internal import protos as pb
from dapr.ext.workflow._durabletask.task import CompletableTask, CompositeTask, Task


class FakeTask(CompletableTask[Any]):
    def __init__(self, kind: str, name: str, input: Any = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.kind, self.name, self.input = kind, name, input

    def __repr__(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass
class World:
    """activities: name -> a value, an exception to fail with, or a function of the input."""

    activities: dict[str, Any] = field(default_factory=dict)
    events: dict[str, Any] = field(default_factory=dict)
    timers_fire: bool = False
    # True: an arrived event or a due timer wins a race against activities.
    waits_win: bool = False


@dataclass
class FakeWorkflowContext:
    instance_id: str = "order-1"
    # Naive, as the runtime gives it.
    current_utc_datetime: datetime = datetime(2026, 1, 1)
    is_replaying: bool = False
    custom_status: str | None = None
    calls: list[FakeTask] = field(default_factory=list)

    def call_activity(self, activity: Any, *, input: Any = None, **_options: Any) -> FakeTask:
        name = activity if isinstance(activity, str) else activity.__name__
        task = FakeTask("activity", name, input)
        self.calls.append(task)
        return task

    def wait_for_external_event(self, name: str) -> FakeTask:
        return FakeTask("event", name)

    def create_timer(self, fire_at: datetime | timedelta) -> FakeTask:
        return FakeTask("timer", str(fire_at))

    def set_custom_status(self, custom_status: str) -> None:
        self.custom_status = custom_status

    def activity_names(self) -> list[str]:
        return [task.name for task in self.calls]


def run_workflow(
    workflow: Callable[[Any, Any], Generator[Any, Any, Any]],
    ctx: FakeWorkflowContext,
    workflow_input: Any,
    world: World,
) -> Any:
    """Drives the workflow to its end; fails if it would wait forever."""
    generator = workflow(ctx, workflow_input)
    send: tuple[str, Any] = ("value", None)
    try:
        while True:
            kind, payload = send
            task = generator.send(payload) if kind == "value" else generator.throw(payload)
            _settle(task, world)
            ctx.current_utc_datetime += timedelta(seconds=1)
            if not task.is_complete:
                raise AssertionError(f"the workflow waits forever on {_leaves(task)}")
            try:
                send = ("value", task.get_result())
            except Exception as error:
                send = ("error", error)
    except StopIteration as done:
        return done.value


def _settle(task: Task[Any], world: World) -> None:
    leaves = _leaves(task)
    waits = [leaf for leaf in leaves if leaf.kind != "activity"]
    activities = [leaf for leaf in leaves if leaf.kind == "activity"]
    for leaf in (waits + activities) if world.waits_win else (activities + waits):
        if not leaf.is_complete:
            _answer(leaf, world)


def _answer(task: FakeTask, world: World) -> None:
    if task.kind == "event":
        if task.name in world.events:
            task.complete(world.events[task.name])
        return
    if task.kind == "timer":
        if world.timers_fire:
            task.complete(None)
        return
    answer = world.activities[task.name]
    try:
        result = answer(task.input) if callable(answer) else answer
        if isinstance(result, Exception):
            raise result
    except Exception as error:
        details = pb.TaskFailureDetails(errorType=type(error).__name__, errorMessage=str(error))
        task.fail(str(error), details)
        return
    task.complete(result)


def _leaves(task: Task[Any]) -> list[FakeTask]:
    if isinstance(task, CompositeTask):
        return [leaf for child in task.get_tasks() for leaf in _leaves(child)]
    assert isinstance(task, FakeTask)
    return [task]
