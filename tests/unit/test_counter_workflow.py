from typing import Any, cast

from dapr.ext.workflow import DaprWorkflowContext

from tests.fakes.workflow import ActivityCall, FakeWorkflowContext, run_workflow
from workflows.counter import count_workflow


def test_increments_once_keyed_by_the_instance_id() -> None:
    ctx = FakeWorkflowContext(instance_id="order-7")
    workflow = count_workflow(cast(DaprWorkflowContext, ctx), {"counter_id": "c1", "by": 3})

    result, yielded = run_workflow(workflow, answers={"increment_counter": 3})

    assert result == 3
    expected: Any = {"counter_id": "c1", "key": "order-7", "by": 3}
    assert yielded == [ActivityCall("increment_counter", expected)]
