"""The vertical slice: one route per Dapr building block, proving each works end to end.

Temporary by design: the product's catalog, orders and checkout saga replace it.
"""

import json
from typing import Annotated, Any

from dapr.actor import ActorId
from dapr.ext.fastapi import DaprApp
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.counter import CounterInterface
from app.settings import ComponentNames
from app.sidecar import Sidecar
from workflows.counter import count_workflow

router = APIRouter(prefix="/slice", tags=["vertical slice"])
TOPIC = "slice"
RECEIVED_PREFIX = "slice-received:"


def _sidecar(request: Request) -> Sidecar:
    sidecar: Sidecar = request.app.state.sidecar
    return sidecar


def _names(request: Request) -> ComponentNames:
    names: ComponentNames = request.app.state.components
    return names


def _workflows(request: Request) -> DaprWorkflowClient:
    client: DaprWorkflowClient = request.app.state.workflows
    return client


SidecarDep = Annotated[Sidecar, Depends(_sidecar)]
NamesDep = Annotated[ComponentNames, Depends(_names)]
WorkflowsDep = Annotated[DaprWorkflowClient, Depends(_workflows)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateValue(StrictModel):
    value: str = Field(max_length=1000)


class Increment(StrictModel):
    key: str = Field(min_length=1, max_length=100)
    by: int = Field(ge=1, le=1000)


class CountRequest(StrictModel):
    counter_id: str = Field(min_length=1, max_length=100)
    by: int = Field(ge=1, le=1000)


class Message(StrictModel):
    id: str = Field(min_length=1, max_length=100)
    text: str = Field(max_length=1000)


@router.put("/state/{key}", status_code=204)
async def save_state(key: str, body: StateValue, sidecar: SidecarDep, names: NamesDep) -> None:
    await sidecar.dapr.save_state(names.statestore, f"slice:{key}", body.value)


@router.get("/state/{key}")
async def get_state(key: str, sidecar: SidecarDep, names: NamesDep) -> StateValue:
    item = await sidecar.dapr.get_state(names.statestore, f"slice:{key}")
    if not item.data:
        raise HTTPException(404, f"No state under {key!r}.")
    return StateValue(value=item.data.decode())


@router.post("/counters/{counter_id}/increment")
async def increment(counter_id: str, body: Increment, sidecar: SidecarDep) -> dict[str, int]:
    counter = sidecar.actors.create("Counter", ActorId(counter_id), CounterInterface)
    count: int = await counter.Increment(body.model_dump())
    return {"count": count}


@router.post("/workflows/{instance_id}", status_code=202)
async def start_workflow(
    instance_id: str, body: CountRequest, workflows: WorkflowsDep
) -> dict[str, str]:
    await workflows.schedule_new_workflow(
        count_workflow, input=body.model_dump(), instance_id=instance_id
    )
    return {"instance_id": instance_id}


@router.get("/workflows/{instance_id}")
async def workflow_status(instance_id: str, workflows: WorkflowsDep) -> dict[str, Any]:
    state = await workflows.get_workflow_state(instance_id)
    if state is None:
        raise HTTPException(404, f"No workflow {instance_id!r}.")
    output = state.serialized_output
    return {
        "status": state.runtime_status.name,
        "output": json.loads(output) if output else None,
    }


@router.post("/events", status_code=202)
async def publish(body: Message, sidecar: SidecarDep, names: NamesDep) -> None:
    await sidecar.dapr.publish_event(
        names.pubsub, TOPIC, body.model_dump_json(), data_content_type="application/json"
    )


@router.get("/events/{message_id}")
async def received(message_id: str, sidecar: SidecarDep, names: NamesDep) -> Message:
    item = await sidecar.dapr.get_state(names.statestore, RECEIVED_PREFIX + message_id)
    if not item.data:
        raise HTTPException(404, f"Message {message_id!r} has not arrived.")
    return Message.model_validate_json(item.data)


@router.get("/secrets/{name}")
async def secret_present(name: str, sidecar: SidecarDep, names: NamesDep) -> dict[str, bool]:
    """Says whether a secret can be read, never its value."""
    secret = await sidecar.dapr.get_secret(names.secretstore, name)
    return {"present": bool(secret.secret.get(name))}


@router.get("/payments/health")
async def payments_health(sidecar: SidecarDep, names: NamesDep) -> dict[str, Any]:
    response = await sidecar.invoke(names.payments_app_id, "health/ready")
    return {"status_code": response.status_code, "body": response.json()}


async def on_message(request: Request, event: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
    message = Message.model_validate(event.get("data"))
    sidecar = _sidecar(request)
    await sidecar.dapr.save_state(
        _names(request).statestore, RECEIVED_PREFIX + message.id, message.model_dump_json()
    )
    return {"status": "SUCCESS"}


def install_slice(app: FastAPI, dapr_app: DaprApp, names: ComponentNames) -> None:
    app.include_router(router)
    dapr_app.subscribe(pubsub=names.pubsub, topic=TOPIC, route="/events/slice")(on_message)
