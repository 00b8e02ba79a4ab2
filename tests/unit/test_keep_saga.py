"""What keeping a pending order's saga alive does for each state the saga can be found in."""

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from dapr.ext.workflow import WorkflowStatus
from prometheus_client import REGISTRY

from app.checkout import WAKE_EVENT, keep_saga, saga_input, start_saga

SAGA = {"lines": [{"sku": "tea", "quantity": 2}], "total_cents": 900, "payment_token": "tok_ok"}


@dataclass
class Found:
    runtime_status: WorkflowStatus


@dataclass
class FakeWorkflows:
    """Answers like the SDK's async workflow client and records what was asked of it."""

    status: WorkflowStatus | None
    schedule_fails: bool = False
    calls: list[tuple[str, ...]] = field(default_factory=list)

    async def get_workflow_state(self, _instance_id: str, *, fetch_payloads: bool) -> Any:
        assert not fetch_payloads
        return None if self.status is None else Found(self.status)

    async def schedule_new_workflow(self, _workflow: Any, *, input: Any, instance_id: str) -> str:
        assert input == SAGA
        if self.schedule_fails:
            raise RuntimeError("an active workflow with this id already exists")
        self.calls.append(("schedule", instance_id))
        self.status = WorkflowStatus.PENDING
        return instance_id

    async def raise_workflow_event(self, instance_id: str, event_name: str) -> None:
        self.calls.append(("raise", instance_id, event_name))

    async def purge_workflow(self, instance_id: str) -> None:
        self.calls.append(("purge", instance_id))
        self.status = None


def keep(workflows: FakeWorkflows) -> str:
    return asyncio.run(keep_saga(workflows, "o1", SAGA))  # type: ignore[arg-type]


def start(workflows: FakeWorkflows, *, may_exist: bool) -> bool:
    return asyncio.run(start_saga(workflows, "o1", SAGA, may_exist=may_exist))  # type: ignore[arg-type]


def revivals(how: str) -> float:
    return REGISTRY.get_sample_value("checkout_sagas_revived_total", {"how": how}) or 0.0


def test_a_missing_saga_is_started_and_counted_as_revived() -> None:
    workflows = FakeWorkflows(status=None)
    before = revivals("started")
    assert keep(workflows) == "started"
    assert workflows.calls == [("schedule", "o1")]
    assert revivals("started") == before + 1


def test_a_saved_start_that_never_ran_is_woken_by_an_event() -> None:
    workflows = FakeWorkflows(status=WorkflowStatus.PENDING)
    before = revivals("woken")
    assert keep(workflows) == "woken"
    assert workflows.calls == [("raise", "o1", WAKE_EVENT)]
    assert revivals("woken") == before + 1


@pytest.mark.parametrize("status", [WorkflowStatus.RUNNING, WorkflowStatus.SUSPENDED])
def test_a_live_saga_is_left_alone(status: WorkflowStatus) -> None:
    workflows = FakeWorkflows(status=status)
    assert keep(workflows) == "running"
    assert workflows.calls == []


@pytest.mark.parametrize(
    "status", [WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TERMINATED]
)
def test_a_saga_that_ended_with_the_order_pending_is_run_again(status: WorkflowStatus) -> None:
    workflows = FakeWorkflows(status=status)
    assert keep(workflows) == "restarted"
    assert workflows.calls == [("purge", "o1"), ("schedule", "o1")]


def test_a_start_lost_to_a_concurrent_one_counts_as_running() -> None:
    class RacedWorkflows(FakeWorkflows):
        async def schedule_new_workflow(self, *args: Any, **kwargs: Any) -> str:
            self.status = WorkflowStatus.RUNNING  # the other request's start landed first
            return await super().schedule_new_workflow(*args, **kwargs)

    workflows = RacedWorkflows(status=None, schedule_fails=True)
    assert keep(workflows) == "running"


def test_a_failed_start_with_no_saga_behind_it_is_raised() -> None:
    with pytest.raises(RuntimeError):
        start(FakeWorkflows(status=None, schedule_fails=True), may_exist=False)


@pytest.mark.parametrize("status", [WorkflowStatus.PENDING, WorkflowStatus.RUNNING])
def test_a_replayed_request_starts_nothing_when_a_saga_exists(status: WorkflowStatus) -> None:
    workflows = FakeWorkflows(status=status)
    assert not start(workflows, may_exist=True)
    assert workflows.calls == []


def test_a_replayed_request_starts_the_saga_its_first_try_did_not() -> None:
    workflows = FakeWorkflows(status=None)
    assert start(workflows, may_exist=True)
    assert workflows.calls == [("schedule", "o1")]


def test_the_saga_input_is_the_order_lines_and_total_with_the_payment() -> None:
    order = {
        "lines": [{"sku": "tea", "quantity": 2, "unit_price_cents": 450}],
        "total_cents": 900,
        "customer_id": "c1",
    }
    assert saga_input(order, {"payment_token": "tok_ok"}) == SAGA
