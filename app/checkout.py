"""Starting, keeping, cancelling and reading checkout sagas; one saga per order id."""

import json
import logging
from typing import Any, Literal

from dapr.ext.workflow import WorkflowStatus
from dapr.ext.workflow.aio import DaprWorkflowClient

from app.observability.metrics import SAGAS_REVIVED
from workflows.checkout import CANCEL_EVENT, PAYMENT_CONFIRMED_EVENT, checkout

log = logging.getLogger(__name__)

# No step of the saga waits for it: raising it only makes daprd run what the instance holds.
WAKE_EVENT = "wake"
FINISHED = (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TERMINATED)

SagaKept = Literal["running", "started", "woken", "restarted"]


def saga_input(order: dict[str, Any], payment: dict[str, Any]) -> dict[str, Any]:
    """What the saga needs: the order's lines and total, and `payment` (currency, token and
    how long a payment may wait for the customer)."""
    lines = [{"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]]
    return {"lines": lines, "total_cents": order["total_cents"], **payment}


async def start_saga(
    workflows: DaprWorkflowClient, order_id: str, saga_input: dict[str, Any], *, may_exist: bool
) -> bool:
    """Schedules the saga unless one exists for the order (looked up only when the order id
    can repeat); a racing duplicate is harmless because the saga's first step stops when the
    order is no longer pending. True when this call scheduled it. A saga that exists but
    does not run is for the Order actor's saga watch to revive (`keep_saga`)."""
    if may_exist and await workflows.get_workflow_state(order_id, fetch_payloads=False) is not None:
        return False
    try:
        await workflows.schedule_new_workflow(checkout, input=saga_input, instance_id=order_id)
    except Exception:
        if await workflows.get_workflow_state(order_id, fetch_payloads=False) is None:
            raise
        log.info("saga %s was started by a concurrent request", order_id)
        return False
    return True


async def keep_saga(
    workflows: DaprWorkflowClient, order_id: str, saga_input: dict[str, Any]
) -> SagaKept:
    """The Order actor's saga watch, a while after the order was placed: makes sure a saga
    drives the still pending order `order_id`, whatever died on the way, and says what that
    took."""
    state = await workflows.get_workflow_state(order_id, fetch_payloads=False)
    kept: SagaKept = "running"
    if state is None:
        started = await start_saga(workflows, order_id, saga_input, may_exist=False)
        kept = "started" if started else "running"
    elif state.runtime_status == WorkflowStatus.PENDING:
        # daprd 1.18 arms a start's reminder before it saves the start; a reminder that fires
        # first finds nothing, is deleted, and the start saved after it never runs
        # (dapr/dapr#10443, fixed after 1.18.3). An event is saved before its reminder is
        # armed, and the run that reminder triggers begins with the saved start. Waking a
        # start that was about to run anyway costs one ignored event.
        await workflows.raise_workflow_event(order_id, WAKE_EVENT)
        kept = "woken"
    elif state.runtime_status in FINISHED:
        # The order is pending, so the saga ended without finishing it (a step out of retries,
        # or terminated by hand). Every step is idempotent on the order id: a new run takes
        # the order from where the last one stopped to confirmed or cancelled.
        await workflows.purge_workflow(order_id)
        restarted = await start_saga(workflows, order_id, saga_input, may_exist=False)
        kept = "restarted" if restarted else "running"
    if kept != "running":
        SAGAS_REVIVED.labels(kept).inc()
        log.warning("saga of pending order %s %s", order_id, kept)
    return kept


async def request_cancel(workflows: DaprWorkflowClient, order_id: str) -> None:
    await workflows.raise_workflow_event(order_id, CANCEL_EVENT)


async def payment_confirmed(workflows: DaprWorkflowClient, order_id: str, charge_id: str) -> None:
    await workflows.raise_workflow_event(
        order_id, PAYMENT_CONFIRMED_EVENT, data={"charge_id": charge_id}
    )


async def saga_view(workflows: DaprWorkflowClient, order_id: str) -> dict[str, Any] | None:
    state = await workflows.get_workflow_state(order_id, fetch_payloads=True)
    if state is None:
        return None
    progress = json.loads(state.serialized_custom_status or "{}")
    failure = state.failure_details
    return {
        "order_id": order_id,
        "runtime_status": state.runtime_status.name,
        "current_step": progress.get("current_step"),
        "timeline": progress.get("timeline", []),
        "created_at": state.created_at.isoformat(),
        "last_updated_at": state.last_updated_at.isoformat(),
        "failure": failure.message if failure is not None else None,
        "finished": state.runtime_status in FINISHED,
    }
