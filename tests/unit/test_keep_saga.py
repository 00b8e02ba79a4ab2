"""What keeping a pending order's saga alive does for each state the saga can be found in."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from dapr.ext.workflow import WorkflowStatus
from prometheus_client import REGISTRY

from actors.messages import OrderView, Payment
from app.checkout import WAKE_EVENT, BoundedSagaWatch, keep_saga, saga_input, start_saga
from common.tenancy import DEFAULT_TENANT
from tests.fakes.sagas import FakeSagas

PAYMENT: Payment = {
    "currency": "EUR",
    "payment_token": "tok_ok",
    "payment_action_timeout_seconds": 60,
}
ORDER = cast(
    OrderView,
    {
        "id": "o1",
        "lines": [{"sku": "tea", "quantity": 2, "unit_price_cents": 450}],
        "total_cents": 900,
        "customer_id": "c1",
    },
)
SAGA = {
    "lines": [{"sku": "tea", "quantity": 2}],
    "total_cents": 900,
    "currency": "EUR",
    "payment_token": "tok_ok",
    "payment_action_timeout_seconds": 60,
}


STALL = timedelta(minutes=15)


def workflows_with(status: WorkflowStatus | None, *, schedule_fails: bool = False) -> FakeSagas:
    statuses = {} if status is None else {"o1": status}
    return FakeSagas(statuses=statuses, schedule_fails=schedule_fails)


def keep(workflows: FakeSagas) -> str:
    return asyncio.run(keep_saga(workflows, ORDER, PAYMENT, STALL))


def start(workflows: FakeSagas, *, may_exist: bool) -> bool:
    return asyncio.run(start_saga(workflows, "o1", saga_input(ORDER, PAYMENT), may_exist=may_exist))


def revivals(how: str) -> float:
    return REGISTRY.get_sample_value("checkout_sagas_revived_total", {"how": how}) or 0.0


def test_a_missing_saga_is_started_and_counted_as_revived() -> None:
    workflows = workflows_with(None)
    before = revivals("started")
    assert keep(workflows) == "started"
    assert workflows.calls == [("schedule", "o1")]
    assert revivals("started") == before + 1


def test_a_saved_start_that_never_ran_is_woken_by_an_event() -> None:
    workflows = workflows_with(WorkflowStatus.PENDING)
    before = revivals("woken")
    assert keep(workflows) == "woken"
    assert workflows.calls == [("raise", "o1", WAKE_EVENT)]
    assert revivals("woken") == before + 1


@pytest.mark.parametrize("status", [WorkflowStatus.RUNNING, WorkflowStatus.SUSPENDED])
def test_a_live_saga_is_left_alone(status: WorkflowStatus) -> None:
    workflows = workflows_with(status)
    assert keep(workflows) == "running"
    assert workflows.calls == []


@pytest.mark.parametrize(
    "status", [WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TERMINATED]
)
def test_a_saga_that_ended_with_the_order_pending_is_run_again(status: WorkflowStatus) -> None:
    workflows = workflows_with(status)
    assert keep(workflows) == "restarted"
    assert workflows.calls == [("purge", "o1"), ("schedule", "o1")]


def test_a_start_lost_to_a_concurrent_one_counts_as_running() -> None:
    class RacedWorkflows(FakeSagas):
        async def schedule_new_workflow(self, *args: Any, **kwargs: Any) -> str:
            self.statuses["o1"] = WorkflowStatus.RUNNING  # the other request's start landed
            return await super().schedule_new_workflow(*args, **kwargs)

    workflows = RacedWorkflows(schedule_fails=True)
    assert keep(workflows) == "running"


def test_a_failed_start_with_no_saga_behind_it_is_raised() -> None:
    with pytest.raises(RuntimeError):
        start(workflows_with(None, schedule_fails=True), may_exist=False)


@pytest.mark.parametrize("status", [WorkflowStatus.PENDING, WorkflowStatus.RUNNING])
def test_a_replayed_request_starts_nothing_when_a_saga_exists(status: WorkflowStatus) -> None:
    workflows = workflows_with(status)
    assert not start(workflows, may_exist=True)
    assert workflows.calls == []


def test_a_replayed_request_starts_the_saga_its_first_try_did_not() -> None:
    workflows = workflows_with(None)
    assert start(workflows, may_exist=True)
    assert workflows.calls == [("schedule", "o1")]


def test_the_saga_input_is_the_order_lines_and_total_with_the_payment() -> None:
    assert saga_input(ORDER, PAYMENT) == SAGA


def running_since(step: str, started: datetime) -> FakeSagas:
    """A running saga whose last timeline entry is `step`, running since `started`."""
    entry = {"step": step, "kind": "step", "status": "running", "started_at": started.isoformat()}
    done = {**entry, "step": "reserve_stock", "status": "done"}
    progress = json.dumps({"current_step": step, "timeline": [done, entry]})
    return FakeSagas(statuses={"o1": WorkflowStatus.RUNNING}, progress={"o1": progress})


def test_a_step_running_past_its_whole_retry_budget_is_stopped_then_run_again() -> None:
    workflows = running_since("confirm_order", datetime.now(UTC) - STALL - timedelta(seconds=1))
    before = revivals("stopped")

    assert keep(workflows) == "stopped"
    assert workflows.calls == [("terminate", "o1")]
    assert revivals("stopped") == before + 1
    # The next watch finds the run terminated with the order pending: a new run.
    assert keep(workflows) == "restarted"
    assert workflows.calls[1:] == [("purge", "o1"), ("schedule", "o1")]


def test_a_step_within_its_budget_is_left_running() -> None:
    workflows = running_since("confirm_order", datetime.now(UTC) - STALL + timedelta(minutes=1))
    assert keep(workflows) == "running"
    assert workflows.calls == []


def test_waiting_for_the_customer_is_never_stopped_by_the_watch() -> None:
    long_ago = datetime.now(UTC) - 10 * STALL
    workflows = running_since("await_payment_confirmation", long_ago)
    assert keep(workflows) == "running"
    assert workflows.calls == []


class HeldReads(FakeSagas):
    """Every state read waits until the test lets it go, as reads do on an overloaded sidecar."""

    def __init__(self) -> None:
        super().__init__(statuses={"o1": WorkflowStatus.RUNNING})
        self.released = asyncio.Event()
        self.reads = 0

    async def get_workflow_state(self, instance_id: str, *, fetch_payloads: bool = True) -> Any:
        self.reads += 1
        await self.released.wait()
        return await super().get_workflow_state(instance_id, fetch_payloads=fetch_payloads)


def deferred() -> float:
    return REGISTRY.get_sample_value("checkout_saga_checks_deferred_total") or 0.0


def test_watch_firings_beyond_the_bound_do_nothing_until_a_check_ends() -> None:
    async def scenario() -> None:
        sagas = HeldReads()
        watch = BoundedSagaWatch(cast(Any, sagas), STALL, at_once=2)
        held = [asyncio.create_task(watch(DEFAULT_TENANT, ORDER, PAYMENT)) for _ in range(2)]
        await asyncio.sleep(0)
        before = deferred()
        assert await watch(DEFAULT_TENANT, ORDER, PAYMENT) == "deferred"
        assert (sagas.reads, deferred()) == (2, before + 1)
        sagas.released.set()
        assert await asyncio.gather(*held) == ["running", "running"]
        assert await watch(DEFAULT_TENANT, ORDER, PAYMENT) == "running"
        assert sagas.reads == 3

    asyncio.run(scenario())
