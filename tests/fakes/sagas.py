"""A fake of the workflow engine as `orders` sees it (app.checkout.Sagas): it keeps each
instance's status, answers states shaped like the SDK's, and records what was asked."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grpc
from dapr.ext.workflow import WorkflowState, WorkflowStatus
from dapr.ext.workflow._durabletask import client
from grpc.aio import AioRpcError, Metadata

# What daprd answered a state read that met a save of the saga half-way (on Redis).
TORN_READ = "inbox key 'inbox-000000' declared in metadata (inboxLength=1) but missing"


@dataclass
class FakeSagas:
    statuses: dict[str, WorkflowStatus] = field(default_factory=dict)
    schedule_fails: bool = False
    calls: list[tuple[str, ...]] = field(default_factory=list)
    inputs: dict[str, Any] = field(default_factory=dict)
    events: list[tuple[str, str, Any]] = field(default_factory=list)
    # This many state reads fail first, as the workflow client raises it.
    failing_reads: int = 0
    # Each instance's custom status (the saga's progress), as the SDK serialises it.
    progress: dict[str, str] = field(default_factory=dict)

    async def schedule_new_workflow(
        self, workflow: Any, *, input: Any = None, instance_id: str | None = None
    ) -> str:
        assert instance_id is not None
        if self.schedule_fails:
            raise RuntimeError("an active workflow with this id already exists")
        self.calls.append(("schedule", instance_id))
        self.statuses[instance_id] = WorkflowStatus.PENDING
        self.inputs[instance_id] = input
        return instance_id

    async def get_workflow_state(
        self, instance_id: str, *, fetch_payloads: bool = True
    ) -> WorkflowState | None:
        if self.failing_reads:
            self.failing_reads -= 1
            raise AioRpcError(grpc.StatusCode.UNKNOWN, Metadata(), Metadata(), TORN_READ)
        status = self.statuses.get(instance_id)
        if status is None:
            return None
        now = datetime.now(UTC)
        state = client.WorkflowState(
            instance_id=instance_id,
            name="checkout",
            runtime_status=client.OrchestrationStatus[status.name],
            created_at=now,
            last_updated_at=now,
            serialized_input=None,
            serialized_output=None,
            serialized_custom_status=self.progress.get(
                instance_id, '{"current_step": null, "timeline": []}'
            ),
            failure_details=None,
        )
        return WorkflowState(state)

    async def raise_workflow_event(
        self, instance_id: str, event_name: str, *, data: Any | None = None
    ) -> None:
        self.calls.append(("raise", instance_id, event_name))
        self.events.append((instance_id, event_name, data))

    async def purge_workflow(self, instance_id: str, recursive: bool = True) -> None:
        self.calls.append(("purge", instance_id))
        self.statuses.pop(instance_id, None)

    async def terminate_workflow(self, instance_id: str) -> None:
        self.calls.append(("terminate", instance_id))
        self.statuses[instance_id] = WorkflowStatus.TERMINATED
