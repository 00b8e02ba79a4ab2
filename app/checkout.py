"""Starting, keeping, cancelling and reading checkout sagas; one saga per order id."""

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import grpc
import structlog
from dapr.ext.workflow import WorkflowState, WorkflowStatus
from grpc.aio import AioRpcError

from actors.messages import OrderView, Payment
from app.metrics import SAGA_CHECKS_DEFERRED, SAGAS_REVIVED
from common.tenancy import scoped_id
from workflows.checkout import CANCEL_EVENT, PAYMENT_CONFIRMED_EVENT, checkout
from workflows.messages import CheckoutInput

log = structlog.get_logger(__name__)

# No step of the saga waits for it: raising it only makes daprd run what the instance holds.
WAKE_EVENT = "wake"
FINISHED = (WorkflowStatus.COMPLETED, WorkflowStatus.FAILED, WorkflowStatus.TERMINATED)

SagaKept = Literal["running", "started", "woken", "restarted", "stopped"]
# Steps that wait for someone else, bounded by a timer of their own, not by retries.
WAITING_STEPS = frozenset({"await_payment_confirmation"})
# A saga's state is several keys. On a store without snapshot reads (Redis) daprd may read
# them across a save of the saga and refuse the mix ("inbox key ... missing from state
# store"); a read a moment later sees one state.
READ_ATTEMPTS = 3
READ_BACKOFF_SECONDS = 0.05
TRANSIENT_READ_CODES = {grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNAVAILABLE}


class Sagas(Protocol):
    """What this service asks of the workflow engine (the SDK's async workflow client)."""

    async def schedule_new_workflow(
        self, workflow: Any, *, input: Any = None, instance_id: str | None = None
    ) -> str: ...

    async def get_workflow_state(
        self, instance_id: str, *, fetch_payloads: bool = True
    ) -> WorkflowState | None: ...

    async def raise_workflow_event(
        self, instance_id: str, event_name: str, *, data: Any | None = None
    ) -> None: ...

    async def purge_workflow(self, instance_id: str, recursive: bool = True) -> None: ...

    async def terminate_workflow(self, instance_id: str) -> None: ...


def saga_input(order: OrderView, payment: Payment) -> CheckoutInput:
    """What the saga needs: the order's lines and total, and how it is paid."""
    return {
        "lines": [{"sku": line["sku"], "quantity": line["quantity"]} for line in order["lines"]],
        "total_cents": order["total_cents"],
        "currency": payment["currency"],
        "payment_token": payment["payment_token"],
        "payment_action_timeout_seconds": payment["payment_action_timeout_seconds"],
    }


async def read_saga(sagas: Sagas, order_id: str, *, fetch_payloads: bool) -> WorkflowState | None:
    """The saga's state, read again when the sidecar failed the read for a reason that
    passes; the last attempt's error is raised (the API answers it 503)."""
    for attempt in range(1, READ_ATTEMPTS):
        try:
            return await sagas.get_workflow_state(order_id, fetch_payloads=fetch_payloads)
        except AioRpcError as error:
            if error.code() not in TRANSIENT_READ_CODES:
                raise
            log.info("saga read again", order_id=order_id, error=error.details())
            await asyncio.sleep(READ_BACKOFF_SECONDS * attempt)
    return await sagas.get_workflow_state(order_id, fetch_payloads=fetch_payloads)


async def start_saga(sagas: Sagas, order_id: str, saga: CheckoutInput, *, may_exist: bool) -> bool:
    """Schedules the saga unless one exists for the order (looked up only when the order id
    can repeat); a racing duplicate is harmless because the saga's first step stops when the
    order is no longer pending. True when this call scheduled it. A saga that exists but
    does not run is for the Order actor's saga watch to revive (`keep_saga`)."""
    if may_exist and await read_saga(sagas, order_id, fetch_payloads=False) is not None:
        return False
    try:
        await sagas.schedule_new_workflow(checkout, input=saga, instance_id=order_id)
    except Exception:
        if await read_saga(sagas, order_id, fetch_payloads=False) is None:
            raise
        log.info("saga started by a concurrent request", order_id=order_id)
        return False
    return True


def stalled_step(state: WorkflowState, now: datetime, stall_after: timedelta) -> str | None:
    """The step the saga has been running for longer than `stall_after`, if any."""
    progress = json.loads(state.serialized_custom_status or "{}")
    running = [e for e in progress.get("timeline", []) if e.get("status") == "running"]
    if not running or running[-1]["step"] in WAITING_STEPS:
        return None
    started = datetime.fromisoformat(running[-1]["started_at"])
    return str(running[-1]["step"]) if now - started > stall_after else None


async def keep_saga(
    sagas: Sagas, order: OrderView, payment: Payment, stall_after: timedelta
) -> SagaKept:
    """The Order actor's saga watch, a while after the order was placed: makes sure a saga
    drives the still pending order, whatever died on the way, and says what that took."""
    order_id = order["id"]
    state = await read_saga(sagas, order_id, fetch_payloads=False)
    kept: SagaKept = "running"
    if state is None:
        started = await start_saga(sagas, order_id, saga_input(order, payment), may_exist=False)
        kept = "started" if started else "running"
    elif state.runtime_status == WorkflowStatus.PENDING:
        # daprd 1.18 arms a start's reminder before it saves the start; a reminder that fires
        # first finds nothing, is deleted, and the start saved after it never runs
        # (dapr/dapr#10443, fixed after 1.18.3). An event is saved before its reminder is
        # armed, and the run that reminder triggers begins with the saved start. Waking a
        # start that was about to run anyway costs one ignored event.
        await sagas.raise_workflow_event(order_id, WAKE_EVENT)
        kept = "woken"
    elif state.runtime_status in FINISHED:
        # The order is pending, so the saga ended without finishing it (a step out of retries,
        # or terminated by hand). Every step is idempotent on the order id: a new run takes
        # the order from where the last one stopped to confirmed or cancelled.
        await sagas.purge_workflow(order_id)
        saga = saga_input(order, payment)
        restarted = await start_saga(sagas, order_id, saga, may_exist=False)
        kept = "restarted" if restarted else "running"
    elif state.runtime_status == WorkflowStatus.RUNNING and (
        step := stalled_step(state, datetime.now(UTC), stall_after)
    ):
        # Its activity's result will never come (see saga_stall_seconds): the run is stopped,
        # and the next watch finds it terminated with the order pending and starts a new run,
        # every step of which is idempotent on the order id.
        await sagas.terminate_workflow(order_id)
        log.warning("stalled saga stopped", order_id=order_id, step=step)
        kept = "stopped"
    if kept != "running":
        SAGAS_REVIVED.labels(kept).inc()
        log.warning("saga of a pending order revived", order_id=order_id, how=kept)
    return kept


async def request_cancel(sagas: Sagas, order_id: str) -> None:
    await sagas.raise_workflow_event(order_id, CANCEL_EVENT)


async def payment_confirmed(sagas: Sagas, order_id: str, charge_id: str) -> None:
    await sagas.raise_workflow_event(
        order_id, PAYMENT_CONFIRMED_EVENT, data={"charge_id": charge_id}
    )


async def saga_view(sagas: Sagas, order_id: str) -> dict[str, Any] | None:
    state = await read_saga(sagas, order_id, fetch_payloads=True)
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


class TenantSagas:
    """The sagas of one tenant: a saga's instance id is its order's id, scoped by tenant
    (common/tenancy.py), so the saga's steps know the tenant from the id they are given."""

    def __init__(self, sagas: Sagas, tenant: str) -> None:
        self._sagas, self._tenant = sagas, tenant

    def _id(self, order_id: str) -> str:
        return scoped_id(self._tenant, order_id)

    async def schedule_new_workflow(
        self, workflow: Any, *, input: Any = None, instance_id: str | None = None
    ) -> str:
        if instance_id is None:
            raise ValueError("a saga's instance id is its order's id")
        return await self._sagas.schedule_new_workflow(
            workflow, input=input, instance_id=self._id(instance_id)
        )

    async def get_workflow_state(
        self, instance_id: str, *, fetch_payloads: bool = True
    ) -> WorkflowState | None:
        return await self._sagas.get_workflow_state(
            self._id(instance_id), fetch_payloads=fetch_payloads
        )

    async def raise_workflow_event(
        self, instance_id: str, event_name: str, *, data: Any | None = None
    ) -> None:
        await self._sagas.raise_workflow_event(self._id(instance_id), event_name, data=data)

    async def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        await self._sagas.purge_workflow(self._id(instance_id), recursive)

    async def terminate_workflow(self, instance_id: str) -> None:
        await self._sagas.terminate_workflow(self._id(instance_id))


class BoundedSagaWatch:
    """The saga watch of every Order actor in this process, at most `at_once` checks at a time.

    A firing beyond that does nothing (the order's next firing checks again). Without a bound,
    a backlog of pending orders, as after the sidecar was down, fires more checks each period
    than the sidecar answers in one; each then waits longer, daprd holds a connection to the
    app for every waiting call, and the app's sidecar ran out of file descriptors."""

    def __init__(self, sagas: Sagas, stall_after: timedelta, at_once: int) -> None:
        self._sagas, self._stall_after = sagas, stall_after
        self._checks = asyncio.Semaphore(at_once)

    async def __call__(self, tenant: str, order: OrderView, payment: Payment) -> str:
        if self._checks.locked():
            SAGA_CHECKS_DEFERRED.inc()
            return "deferred"
        async with self._checks:
            return await keep_saga(
                TenantSagas(self._sagas, tenant), order, payment, self._stall_after
            )
