"""Routes that only sidecars call: the payments callback (by app-id) and the cron binding."""

import logging
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from app.checkout import payment_confirmed
from app.services import ServicesDep
from app.subscriptions import FINISHED_SAGAS

log = logging.getLogger(__name__)
router = APIRouter(tags=["internal"], include_in_schema=False)


class PaymentConfirmed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=100)
    charge_id: str = Field(min_length=1, max_length=120)


@router.post("/internal/payments/confirmed", status_code=202)
async def on_payment_confirmed(body: PaymentConfirmed, services: ServicesDep) -> None:
    order = await services.orders.get(body.order_id)
    if order is None:
        raise HTTPException(404, f"No order {body.order_id!r}.")
    if order["status"] != "pending":
        raise HTTPException(409, f"Order {body.order_id!r} is {order['status']}.")
    await payment_confirmed(services.workflows, body.order_id, body.charge_id)


@router.api_route("/housekeeping", methods=["POST", "OPTIONS"])
async def housekeeping(services: ServicesDep) -> dict[str, int]:
    """Purges the workflow state of sagas that finished longer ago than the retention."""
    retention = timedelta(seconds=services.settings.saga_retention_seconds)
    cutoff = (datetime.now(UTC) - retention).isoformat()
    expired = {m for m in await services.read_models.members(FINISHED_SAGAS) if m < cutoff}
    for member in expired:
        order_id = member.split("|", 1)[1]
        await services.workflows.purge_workflow(order_id)
    await services.read_models.remove_from_index(FINISHED_SAGAS, expired)
    if expired:
        log.info("purged %d finished sagas", len(expired))
    return {"purged": len(expired)}
