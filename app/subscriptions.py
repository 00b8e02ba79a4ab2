"""Event subscribers: read models from our own events, restocks from the warehouse.

Every delivery is read with the CloudEvents SDK (structured or binary mode). A handler answers
SUCCESS, RETRY (an exception, or the 503 that an unavailable actor or sidecar is answered
with: the sidecar retries per the resiliency policy) or DROP for an event that can never
succeed; the sidecar forwards dropped events to the dead-letter topic, whose handler keeps
them for a person to look at.

Each consumer is idempotent on the key of what happened, not on the transport's event id: a
restock on its shipment, an order or item document on its version.

An event belongs to the tenant its `tenant` extension attribute names, or its data's
`tenant` (a plain payload has no attributes of its own), else to the default tenant; it is
handled with that tenant's services, so it reaches only that tenant's actors and read
models. An event of a tenant this service does not have is dropped.
"""

import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

import structlog
from cloudevents.core.v1.event import CloudEvent
from dapr.ext.fastapi import DaprApp
from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actors.messages import ItemView
from actors.outcome import Refused
from app.api.deps import TenantsDep
from app.api.models import SKU_PATTERN
from app.metrics import EVENTS_CONSUMED, EVENTS_DROPPED
from app.services import Services
from app.tenancy import Tenants
from common.events import PLAIN_PAYLOAD_TYPE, TENANT_ATTRIBUTE, InvalidEvent, read_event
from common.keys import opaque
from common.observability.logs import bind
from common.settings import ComponentNames
from common.tenancy import DEFAULT_TENANT
from domain.errors import Conflict, NotFound

log = structlog.get_logger(__name__)

DEAD_LETTER_TOPIC = "deadletter"
RESTOCKED = "inventory.restocked"
SUCCESS, DROP = {"status": "SUCCESS"}, {"status": "DROP"}


class Restocked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A SKU as the API takes it: nothing else names an item (nor another tenant's).
    sku: str = Field(min_length=1, max_length=64, pattern=SKU_PATTERN)
    quantity: int = Field(ge=1, le=1_000_000, strict=True)
    shipment_id: str = Field(min_length=1, max_length=128)
    # Which tenant's stock, when the publisher could not set the event's attribute.
    tenant: str | None = Field(None, max_length=32)


class Dropped(Exception):
    """The event can never be handled; `reason` is logged and it goes to the dead letters."""


def shipment_ref(shipment_id: str) -> str:
    """The publisher's id, made safe for a state key (it may hold any character)."""
    return f"shipment:{opaque(shipment_id)}"


async def on_warehouse(event: CloudEvent, services: Services) -> None:
    """One restock per SKU and shipment, whatever the event id and however often the
    publisher retries; the same shipment with another quantity is refused.

    Accepted: a CloudEvent of type `inventory.restocked`, or a plain JSON payload a sidecar
    published (wrapped by it, or raw); either way the data is {sku, quantity, shipment_id}."""
    if event.get_type() not in (RESTOCKED, PLAIN_PAYLOAD_TYPE):
        raise Dropped(
            f"type {event.get_type()!r}: the warehouse topic takes {RESTOCKED} events or plain "
            "JSON payloads {sku, quantity, shipment_id}"
        )
    try:
        restocked = Restocked.model_validate(_json_data(event))
    except ValidationError as error:
        raise Dropped(f"malformed data: {error.errors(include_url=False)}") from error
    ref = shipment_ref(restocked.shipment_id)
    try:
        await services.inventory.restock(restocked.sku, restocked.quantity, ref)
    except Refused as refusal:
        if refusal.is_a(NotFound, Conflict):
            raise Dropped(refusal.detail) from refusal
        raise


async def on_inventory(event: CloudEvent, services: Services) -> None:
    data = _json_data(event)
    models = services.read_models
    if event.get_type() == "inventory.low_stock":
        alert = {**data, "event_id": event.get_id()}
        await models.low_stock(data["sku"], alert, data["version"], _time(event))
        return
    version = data["version"]
    item = cast(ItemView, {name: value for name, value in data.items() if name != "version"})
    if event.get_type() == "inventory.item_created":
        await models.item_created(item, version, _time(event))
    elif event.get_type() == "inventory.item_updated":
        await models.item_changed(item, version)


async def on_orders(event: CloudEvent, services: Services) -> None:
    """The read models, and the customer's notice once the order is confirmed (one document
    per order and event: a redelivery overwrites it)."""
    order = _json_data(event)
    await services.read_models.order_changed(order)
    if event.get_type() == "order.confirmed":
        await services.notifications.send(f"{order['id']}-confirmed.json", order)


async def on_dead_letter(event: CloudEvent, services: Services) -> None:
    log.error("dead-lettered event")
    attributes = {name: str(value) for name, value in event.get_attributes().items()}
    document = {**attributes, "data": _json_data(event, strict=False)}
    await services.read_models.dead_letter(event.get_id(), document)


Handler = Callable[[CloudEvent, Services], Awaitable[None]]


def install_subscriptions(dapr_app: DaprApp, names: ComponentNames) -> None:
    for topic, handler, dead_letter in (
        ("warehouse", on_warehouse, DEAD_LETTER_TOPIC),
        ("inventory", on_inventory, DEAD_LETTER_TOPIC),
        ("orders", on_orders, DEAD_LETTER_TOPIC),
        (DEAD_LETTER_TOPIC, on_dead_letter, None),
    ):
        subscribe = dapr_app.subscribe(
            pubsub=names.pubsub,
            topic=topic,
            route=f"/events/{topic}",
            dead_letter_topic=dead_letter,
        )
        subscribe(_delivered(topic, handler))


def _delivered(topic: str, handler: Handler) -> Callable[..., Awaitable[dict[str, str]]]:
    """Reads the delivery as a CloudEvent, binds it to every log line of its handling, and
    counts it; an event that is not one, or that the handler drops, is dropped."""

    async def handle(request: Request, tenants: TenantsDep) -> dict[str, str]:
        try:
            event = read_event(request.headers, await request.body())
        except InvalidEvent as error:
            return _drop(topic, f"not a CloudEvent 1.0: {error}")
        with bind(topic=topic, event_id=event.get_id(), event_type=event.get_type()):
            try:
                tenant = _tenant_here(topic, event, tenants)
                with bind(tenant=tenant):
                    await handler(event, tenants[tenant])
                    log.info("event handled", status="SUCCESS")
            except Dropped as dropped:
                return _drop(topic, str(dropped))
        EVENTS_CONSUMED.labels(topic).inc()
        return SUCCESS

    handle.__name__ = f"on_{topic}"
    return handle


def _drop(topic: str, reason: str) -> dict[str, str]:
    log.warning("dropping event", reason=reason)
    log.info("event handled", status="DROP")
    EVENTS_DROPPED.labels(topic).inc()
    return DROP


def _tenant_here(topic: str, event: CloudEvent, tenants: Tenants) -> str:
    """The tenant whose services handle the event; a dead letter is kept whatever it says
    (with the default tenant's when its own is not one of this service's)."""
    try:
        tenant = _tenant_of(event)
        if tenant in tenants:
            return tenant
        reason = f"no tenant {tenant[:64]!r} here"
    except Dropped as dropped:
        reason = str(dropped)
    if topic == DEAD_LETTER_TOPIC:
        return DEFAULT_TENANT
    raise Dropped(reason)


def _tenant_of(event: CloudEvent) -> str:
    """The event's `tenant` attribute, or its data's `tenant`; both must agree."""
    named = event.get_extension(TENANT_ATTRIBUTE)
    data = _json_data(event, strict=False)
    in_data = data.get(TENANT_ATTRIBUTE) if isinstance(data, dict) else None
    if named is not None and in_data is not None and named != in_data:
        raise Dropped(f"the event names tenant {named!r}, its data {in_data!r}")
    tenant = named if named is not None else in_data
    return DEFAULT_TENANT if tenant is None else str(tenant)


def _json_data(event: CloudEvent, *, strict: bool = True) -> Any:
    """The event's data as JSON, whether it came as JSON, as text or base64-encoded."""
    data = event.get_data()
    if isinstance(data, bytes | str):
        try:
            return json.loads(data)
        except ValueError as error:
            if strict:
                raise Dropped("the data is not JSON") from error
            return data.decode(errors="replace") if isinstance(data, bytes) else data
    return data


def _time(event: CloudEvent) -> str:
    time = event.get_time()
    if time is None:
        raise Dropped("no time on the event")
    return time.isoformat()
