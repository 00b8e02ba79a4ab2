"""Events as CloudEvents 1.0 on a Dapr pub/sub component, built and read with the
`cloudevents` SDK.

An event is kept as its structured JSON document (what an actor's outbox stores and what the
sidecar publishes). Ids are derived from what happened (an order id and its transition, a SKU
and its version), so publishing the same change twice yields the same id and consumers drop
the copy.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from cloudevents.core.bindings.http import HTTPMessage, from_http
from cloudevents.core.exceptions import BaseCloudEventException
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from dapr.aio.clients import DaprClient

from common.tenancy import DEFAULT_TENANT

CLOUDEVENTS_JSON = JSONFormat.CONTENT_TYPE
# What Dapr calls a payload a sidecar published as it was, without a CloudEvent around it.
PLAIN_PAYLOAD_TYPE = "com.dapr.event.sent"
# The CloudEvent extension attribute naming the tenant an event belongs to; an event without
# it belongs to the default tenant.
TENANT_ATTRIBUTE = "tenant"
EventDocument = dict[str, Any]
_FORMAT = JSONFormat()


class InvalidEvent(Exception):
    """Not a CloudEvent 1.0 this service can read; the reason says why."""


def new_event(
    event_type: str,
    event_id: str,
    data: Mapping[str, Any],
    time: str,
    source: str,
    tenant: str = DEFAULT_TENANT,
) -> EventDocument:
    """A structured CloudEvent; `time` is when the change happened, as ISO 8601 (UTC when it
    names no offset). An event of a tenant other than the default one says which."""
    moment = datetime.fromisoformat(time)
    attributes = {
        "type": event_type,
        "source": source,
        "id": event_id,
        "time": moment if moment.tzinfo else moment.replace(tzinfo=UTC),
        "datacontenttype": "application/json",
    }
    if tenant != DEFAULT_TENANT:
        attributes[TENANT_ATTRIBUTE] = tenant
    document: EventDocument = json.loads(_FORMAT.write(CloudEvent(attributes, dict(data))))
    return document


def read_event(headers: Mapping[str, str], body: bytes) -> CloudEvent:
    """Parses a delivery in structured or binary mode; raises InvalidEvent.

    A payload published raw (`rawPayload` metadata) arrives as it was sent: it becomes an
    event of the plain-payload type, its id derived from its content."""
    if headers.get("rawpayload") == "true":
        attributes = {
            "id": hashlib.sha256(body).hexdigest(),
            "source": f"rawpayload/{headers.get('pubsubname', 'unknown')}",
            "type": PLAIN_PAYLOAD_TYPE,
        }
        return CloudEvent(attributes, body)
    try:
        _require_id(headers, body)
        event = from_http(HTTPMessage(dict(headers), body), _FORMAT, CloudEvent)
    except (BaseCloudEventException, ValueError, TypeError, KeyError) as error:
        raise InvalidEvent(str(error) or type(error).__name__) from error
    if not isinstance(event, CloudEvent):
        raise InvalidEvent(f"specversion {event.get_specversion()!r} is not 1.0")
    return event


def _require_id(headers: Mapping[str, str], body: bytes) -> None:
    """The SDK gives an event without an id a random one, as a producer would; a consumer
    must refuse it instead, or a redelivered copy would look like a new event."""
    if headers.get("content-type", "").startswith(CLOUDEVENTS_JSON):
        document = json.loads(body)
        present = isinstance(document, dict) and bool(document.get("id"))
    else:
        present = bool(headers.get("ce-id"))
    if not present:
        raise InvalidEvent("the event has no id")


class Publisher(Protocol):
    async def publish(self, topic: str, event: EventDocument) -> None: ...


class DaprPublisher:
    """Publishes through the sidecar; the event is passed as it is (structured mode)."""

    def __init__(self, dapr: DaprClient, pubsub: str) -> None:
        self._dapr = dapr
        self._pubsub = pubsub

    async def publish(self, topic: str, event: EventDocument) -> None:
        await self._dapr.publish_event(
            self._pubsub, topic, json.dumps(event), data_content_type=CLOUDEVENTS_JSON
        )
