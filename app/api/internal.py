"""Routes that only sidecars call: the low-stock digest job, and the payments callback, by
app-id. Neither is a tenant's request: the digest goes out for every tenant, and an order id
`payments` sends back is the saga's, which names its tenant (common/tenancy.py)."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import TenantsDep
from app.checkout import payment_confirmed
from app.digest import JOB, send_digest
from app.tenancy import services_for_id

router = APIRouter(tags=["internal"], include_in_schema=False)


@router.post(f"/job/{JOB}")
async def low_stock_digest(tenants: TenantsDep) -> dict[str, int]:
    """The scheduler triggers it once per period, on one replica (see app.digest); each
    tenant gets its own digest."""
    alerts = 0
    for services in tenants.values():
        alerts += await send_digest(services.read_models, services.notifications)
    return {"alerts": alerts}


class PaymentConfirmed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=100)
    charge_id: str = Field(min_length=1, max_length=120)


@router.post("/internal/payments/confirmed", status_code=202)
async def on_payment_confirmed(body: PaymentConfirmed, tenants: TenantsDep) -> None:
    found = services_for_id(tenants, body.order_id)
    if found is None:
        raise HTTPException(404, f"No order {body.order_id!r}.")
    services, order_id = found
    order = await services.orders.get(order_id)
    if order is None:
        raise HTTPException(404, f"No order {body.order_id!r}.")
    if order["status"] != "pending":
        raise HTTPException(409, f"Order {body.order_id!r} is {order['status']}.")
    await payment_confirmed(services.sagas, order_id, body.charge_id)
