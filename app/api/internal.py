"""Routes that only sidecars call: the payments callback, by app-id."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import OrdersDep, SagasDep, ServicesDep
from app.checkout import payment_confirmed
from app.digest import JOB, send_digest

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post(f"/job/{JOB}")
async def low_stock_digest(services: ServicesDep) -> dict[str, int]:
    """The scheduler triggers it once per period, on one replica (see app.digest)."""
    return {"alerts": await send_digest(services.read_models, services.notifications)}


class PaymentConfirmed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=100)
    charge_id: str = Field(min_length=1, max_length=120)


@router.post("/internal/payments/confirmed", status_code=202)
async def on_payment_confirmed(body: PaymentConfirmed, orders: OrdersDep, sagas: SagasDep) -> None:
    order = await orders.get(body.order_id)
    if order is None:
        raise HTTPException(404, f"No order {body.order_id!r}.")
    if order["status"] != "pending":
        raise HTTPException(409, f"Order {body.order_id!r} is {order['status']}.")
    await payment_confirmed(sagas, body.order_id, body.charge_id)
