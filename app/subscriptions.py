"""Event subscribers: read models from our own events, restocks from the warehouse.

A handler answers SUCCESS, RETRY (an exception: the sidecar retries per the resiliency policy)
or DROP for an event that can never succeed; the sidecar forwards dropped events to the
dead-letter topic, whose handler keeps them for a person to look at.
"""

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import structlog
from dapr.ext.fastapi import DaprApp
from fastapi import Body
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actors.outcome import Refused
from app.observability.logs import bind
from app.observability.metrics import EVENTS_CONSUMED, EVENTS_DROPPED
from app.services import Services, ServicesDep
from app.settings import ComponentNames

log = structlog.get_logger(__name__)

DEAD_LETTER_TOPIC = "deadletter"
CATALOG_INDEX = "catalog:index"
LOW_STOCK_ALERTS = "inventory:low-stock"
ORDERS_INDEX = "orders:all"
# Members are "<finished at>|<order id>", so they sort by when the saga ended.
FINISHED_SAGAS = "sagas:finished"
SUCCESS, DROP = {"status": "SUCCESS"}, {"status": "DROP"}

Event = Annotated[dict[str, Any], Body()]


def catalog_key(sku: str) -> str:
    return f"catalog:item:{sku}"


def order_key(order_id: str) -> str:
    return f"orders:summary:{order_id}"


def customer_index(customer_id: str) -> str:
    return f"orders:customer:{customer_id}"


class Restocked(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)
    shipment_id: str = Field(min_length=1, max_length=128)


def drop(event: dict[str, Any], reason: str) -> dict[str, str]:
    log.warning("dropping event", reason=reason, event_type=event.get("type"))
    return DROP


async def on_warehouse(event: Event, services: ServicesDep) -> dict[str, str]:
    if event.get("type") != "inventory.restocked":
        return drop(event, "not an inventory.restocked event")
    if not event.get("id"):
        return drop(event, "no event id to restock once by")
    try:
        restocked = Restocked.model_validate(event.get("data"))
    except ValidationError as error:
        return drop(event, f"malformed data: {error.errors(include_url=False)}")
    try:
        await services.inventory.restock(restocked.sku, restocked.quantity, ref=event["id"])
    except Refused as refusal:
        return drop(event, refusal.detail)
    return SUCCESS


async def on_inventory(event: Event, services: ServicesDep) -> dict[str, str]:
    if event.get("type") == "inventory.low_stock":
        await services.read_models.add_to_index(LOW_STOCK_ALERTS, event["id"])
        return SUCCESS
    if event.get("type") not in ("inventory.item_created", "inventory.item_updated"):
        return SUCCESS
    item = dict(event["data"])
    version = item.pop("version")
    await services.read_models.put_if_newer(catalog_key(item["sku"]), item, version)
    await services.read_models.add_to_index(CATALOG_INDEX, item["sku"])
    return SUCCESS


async def on_orders(event: Event, services: ServicesDep) -> dict[str, str]:
    order = event["data"]
    summary = {
        name: order[name]
        for name in ("id", "customer_id", "status", "status_reason", "total_cents", "created_at")
    }
    models = services.read_models
    await models.put_if_newer(order_key(order["id"]), summary, version=len(order["history"]))
    await models.add_to_index(ORDERS_INDEX, order["id"])
    await models.add_to_index(customer_index(order["customer_id"]), order["id"])
    if order["status"] != "pending":
        await models.add_to_index(FINISHED_SAGAS, f"{order['history'][-1]['at']}|{order['id']}")
    return SUCCESS


async def on_dead_letter(event: Event, services: ServicesDep) -> dict[str, str]:
    log.error("dead-lettered event")
    key = f"deadletter:{event.get('id')}"
    await services.read_models.put_if_newer(key, {"event": event}, version=1)
    return SUCCESS


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
        subscribe(_observed(topic, handler))


Handler = Callable[[dict[str, Any], Services], Awaitable[dict[str, str]]]


def _observed(topic: str, handler: Handler) -> Handler:
    """Binds the event to every log line of its handling, and counts it."""

    @functools.wraps(handler)
    async def handle(event: Event, services: ServicesDep) -> dict[str, str]:
        with bind(topic=topic, event_id=event.get("id"), event_type=event.get("type")):
            answer = await handler(event, services)
            log.info("event handled", status=answer["status"])
        (EVENTS_DROPPED if answer is DROP else EVENTS_CONSUMED).labels(topic).inc()
        return answer

    return handle
