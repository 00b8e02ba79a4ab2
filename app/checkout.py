"""Starting, cancelling and reading checkout sagas; one saga per order id, whatever retries."""

import json
import logging
from typing import Any

from dapr.ext.workflow import WorkflowStatus
from dapr.ext.workflow.aio import DaprWorkflowClient

from workflows.checkout import CANCEL_EVENT, PAYMENT_CONFIRMED_EVENT, checkout

log = logging.getLogger(__name__)


async def start_saga(
    workflows: DaprWorkflowClient, order_id: str, saga_input: dict[str, Any], *, may_exist: bool
) -> bool:
    """Schedules the saga unless one exists for the order (looked up only when the order id
    can repeat); a racing duplicate is harmless because the saga's first step stops when the
    order is no longer pending. True when this call scheduled it."""
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
        "finished": state.runtime_status
        in (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TERMINATED),
    }
