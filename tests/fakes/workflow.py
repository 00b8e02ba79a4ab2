"""A fake workflow context: drives a workflow generator step by step, with no sidecar.

The test answers each yielded task itself, so every path (success, failure, timer, event) of a
workflow can be walked deterministically.
"""

from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class ActivityCall:
    name: str
    input: Any


@dataclass
class FakeWorkflowContext:
    instance_id: str = "wf-1"
    current_utc_datetime: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    is_replaying: bool = False
    custom_status: str | None = None
    calls: list[ActivityCall] = field(default_factory=list)

    def call_activity(self, activity: Any, *, input: Any = None, **_options: Any) -> ActivityCall:
        name = activity if isinstance(activity, str) else activity.__name__
        call = ActivityCall(name, input)
        self.calls.append(call)
        return call

    def set_custom_status(self, status: str) -> None:
        self.custom_status = status


def run_workflow(
    workflow: Generator[Any, Any, Any], answers: dict[str, Any]
) -> tuple[Any, list[Any]]:
    """Runs the generator to its end, answering each yielded activity by its name.

    Returns the workflow's result and the tasks it yielded, in order.
    """
    yielded: list[Any] = []
    try:
        task = next(workflow)
        while True:
            yielded.append(task)
            task = workflow.send(answers[task.name])
    except StopIteration as done:
        return done.value, yielded
