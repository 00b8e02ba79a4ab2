"""What tests do through a real sidecar's HTTP API: state reads, publishes, actor calls."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.read_models import ReadModels
from common.state import DaprDocuments
from devstack.clients import dapr_client
from devstack.stack import RunningApp

CLOUDEVENTS_JSON = "application/cloudevents+json"


def read_state(sidecar: httpx.Client, key: str) -> Any:
    response = sidecar.get(f"/v1.0/state/statestore/{key}")
    response.raise_for_status()
    return response.json() if response.content else None


def publish_cloud_event(
    sidecar: httpx.Client, topic: str, event_id: str, event_type: str, data: Any
) -> None:
    event = {
        "specversion": "1.0",
        "id": event_id,
        "source": "tests",
        "type": event_type,
        "datacontenttype": "application/json",
        "data": data,
    }
    response = sidecar.post(
        f"/v1.0/publish/pubsub/{topic}",
        content=json.dumps(event),
        headers={"content-type": CLOUDEVENTS_JSON},
    )
    assert response.status_code == 204, response.text


def publish(
    sidecar: httpx.Client,
    topic: str,
    body: Any,
    *,
    content_type: str = "application/json",
    metadata: dict[str, str] | None = None,
) -> None:
    """Publishes as `dapr publish` or any app does through its sidecar: `metadata` goes in the
    query string (`metadata.rawPayload=true`, `metadata.cloudevent.type=...`)."""
    params = {f"metadata.{name}": value for name, value in (metadata or {}).items()}
    response = sidecar.post(
        f"/v1.0/publish/pubsub/{topic}",
        content=json.dumps(body),
        params=params,
        headers={"content-type": content_type},
    )
    assert response.status_code == 204, response.text


@asynccontextmanager
async def read_models_through(app: RunningApp) -> AsyncIterator[ReadModels]:
    """The app's read models, read through its own sidecar (the same app-id, so the same
    keys) with the code the app uses."""
    async with dapr_client(app) as dapr:
        yield ReadModels(DaprDocuments(dapr, "statestore"))
