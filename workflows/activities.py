"""The checkout saga's activities: plain async functions over the actor clients and sidecar.

They run at least once, so each is idempotent on the order id. A domain refusal that retrying
cannot change comes back as a value; anything else raises and the workflow's policy retries.
"""

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from dapr.ext.workflow import WorkflowActivityContext

from actors.clients import InventoryClient, OrderClient
from actors.outcome import Refused
from app.observability.logs import bind
from app.observability.metrics import RESERVATIONS

log = structlog.get_logger(__name__)
Activity = Callable[[WorkflowActivityContext, Any], Awaitable[Any]]
# Retrying cannot turn these into a reservation.
NOT_RESERVABLE = {"OutOfStock", "ReservationClosed", "NotFound"}


class PaymentTimeout(Exception):
    """The payments call ran past the resiliency timeout; the charge may still have happened."""


class PaymentsUnavailable(Exception):
    """payments could not be reached or failed (down, its circuit breaker open); trying again
    is safe, since payments keeps one charge per order."""


@dataclass(frozen=True)
class CheckoutDependencies:
    inventory: InventoryClient
    orders: OrderClient
    sidecar_http: Callable[[], httpx.AsyncClient]
    payments_app_id: str
    notifications_binding: str


def checkout_activities(deps: CheckoutDependencies) -> list[Activity]:
    async def order_status(_ctx: WorkflowActivityContext, order_id: str) -> str | None:
        order = await deps.orders.get(order_id)
        return order["status"] if order else None

    async def reserve_line(_ctx: WorkflowActivityContext, line: dict[str, Any]) -> dict[str, Any]:
        try:
            await deps.inventory.reserve(line["sku"], line["order_id"], line["quantity"])
        except Refused as refusal:
            if refusal.error not in NOT_RESERVABLE:
                raise
            RESERVATIONS.labels("refused").inc()
            return {"sku": line["sku"], "reserved": False, "reason": refusal.error}
        RESERVATIONS.labels("granted").inc()
        return {"sku": line["sku"], "reserved": True, "reason": None}

    async def release_line(_ctx: WorkflowActivityContext, line: dict[str, Any]) -> None:
        try:
            await deps.inventory.release(line["sku"], line["order_id"])
        except Refused as refusal:
            if refusal.error != "NotFound":
                raise

    async def commit_line(_ctx: WorkflowActivityContext, line: dict[str, Any]) -> None:
        await deps.inventory.commit(line["sku"], line["order_id"])

    async def charge_payment(
        _ctx: WorkflowActivityContext, charge: dict[str, Any]
    ) -> dict[str, Any]:
        response = await _invoke_payments("charges", charge)
        if response.is_server_error:
            raise PaymentsUnavailable(f"payments answered {response.status_code}")
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return {"charge_id": answer["charge_id"], "status": answer["status"]}

    async def refund_payment(_ctx: WorkflowActivityContext, request: dict[str, Any]) -> str:
        response = await _invoke_payments(f"charges/ch_{request['order_id']}/refund", {})
        response.raise_for_status()
        status: str = response.json()["status"]
        return status

    async def confirm_order(_ctx: WorkflowActivityContext, request: dict[str, Any]) -> None:
        await deps.orders.confirm(request["order_id"], request["at"])

    async def cancel_order(_ctx: WorkflowActivityContext, request: dict[str, Any]) -> None:
        await deps.orders.cancel(request["order_id"], request["reason"], request["at"])

    async def notify(_ctx: WorkflowActivityContext, request: dict[str, Any]) -> None:
        """One name per order and event, so a retried notification overwrites itself: a file
        name for local storage, a URL path for an HTTP webhook."""
        order = await deps.orders.get(request["order_id"])
        name = f"{request['order_id']}-{request['event']}.json"
        body = {"operation": "create", "data": order, "metadata": {"fileName": name, "path": name}}
        response = await deps.sidecar_http().post(
            f"/v1.0/bindings/{deps.notifications_binding}", json=body
        )
        response.raise_for_status()

    async def _invoke_payments(method: str, body: dict[str, Any]) -> httpx.Response:
        url = f"/v1.0/invoke/{deps.payments_app_id}/method/{method}"
        try:
            response = await deps.sidecar_http().post(url, json=body)
        except httpx.TimeoutException as error:
            raise PaymentTimeout(str(error)) from error
        if response.is_server_error and "deadline" in response.text.lower():
            raise PaymentTimeout(response.text)
        return response

    activities: list[Activity] = [
        order_status,
        reserve_line,
        release_line,
        commit_line,
        charge_payment,
        refund_payment,
        confirm_order,
        cancel_order,
        notify,
    ]
    return [_logged(activity) for activity in activities]


def _logged(activity: Activity) -> Activity:
    """Every line an activity logs names its saga (the order id) and the activity."""

    @functools.wraps(activity)
    async def run(ctx: WorkflowActivityContext, payload: Any) -> Any:
        with bind(order_id=ctx.workflow_id, activity=activity.__name__):
            result = await activity(ctx, payload)
            log.info("activity done")
            return result

    return run
