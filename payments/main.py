"""The `payments` app: a simulated payment provider that `orders` calls by app-id."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.caller import HEADER as CALLER_ASSERTION
from common.caller import CallerKey, InvalidCaller
from common.observability import metrics
from common.observability.logs import configure_logging
from common.observability.requests import RequestContextMiddleware
from common.observability.tracing import TELEMETRY, configure_tracing, shutdown_tracing
from common.perimeter.app_token import AppTokenMiddleware
from common.perimeter.edge import EdgeMiddleware
from common.problems import install_problem_handlers, problem
from common.settings import ComponentNames, EdgeSettings, SidecarSettings
from common.sidecar import Sidecar, connect
from common.state import DaprDocuments
from payments.ledger import SLOW_TOKEN, Charge, NotConfirmable, UnknownToken, charge_id_for
from payments.store import ChargeStore

log = logging.getLogger(__name__)


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAYMENTS_", extra="ignore")

    slow_delay_seconds: float = Field(8.0, ge=0)
    # Names the secret whose key verifies that a charge or refund comes from `orders`.
    caller_key_secret: str = "service-caller-key"


@dataclass(frozen=True)
class PaymentsSettings:
    """Everything `payments` reads from its environment, by concern."""

    sidecar: SidecarSettings = field(default_factory=SidecarSettings)
    components: ComponentNames = field(default_factory=ComponentNames)
    provider: ProviderSettings = field(default_factory=ProviderSettings)
    edge: EdgeSettings = field(default_factory=EdgeSettings)


class ChargeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=100)
    amount_cents: int = Field(ge=0, le=100_000_000)
    currency: str = Field(pattern="^[A-Z]{3}$")
    payment_token: str = Field(min_length=1, max_length=100)


class ChargeView(BaseModel):
    charge_id: str
    order_id: str
    amount_cents: int
    currency: str
    status: str


class Payments:
    def __init__(
        self, sidecar: Sidecar, charges: ChargeStore, settings: PaymentsSettings, key: CallerKey
    ) -> None:
        self.sidecar, self.charges, self.settings, self.caller_key = sidecar, charges, settings, key


def _payments(request: Request) -> Payments:
    payments: Payments = request.app.state.payments
    return payments


PaymentsDep = Annotated[Payments, Depends(_payments)]


async def _from_orders(request: Request, payments: PaymentsDep) -> None:
    """Only `orders` charges and refunds: it signs each call with a caller assertion made for
    exactly this request (common/caller.py), which no header a client sets can stand in for.
    The app token proves the call came through our own sidecar; with mTLS (deployments/), the
    access-control policy of the payments Configuration also refuses other callers."""
    orders = payments.settings.components.orders_app_id
    assertion = request.headers.get(CALLER_ASSERTION)
    if assertion is None:
        raise HTTPException(403, f"Only {orders!r} may do this: no caller assertion.")
    try:
        caller = payments.caller_key.verify(
            assertion, request.method, request.url.path, await request.body()
        )
    except InvalidCaller as error:
        raise HTTPException(403, f"Only {orders!r} may do this: {error}.") from error
    if caller != orders:
        raise HTTPException(403, f"Only {orders!r} may do this, not {caller!r}.")


FromOrders = Depends(_from_orders)


def create_app(settings: PaymentsSettings | None = None) -> FastAPI:
    settings = settings or PaymentsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        names = settings.components
        async with connect(settings.sidecar) as sidecar:
            charges = ChargeStore(DaprDocuments(sidecar.dapr, names.statestore))
            secret_name = settings.provider.caller_key_secret
            secret = await sidecar.dapr.get_secret(names.secretstore, secret_name)
            key = CallerKey(secret.secret[secret_name], names.payments_app_id)
            app.state.payments = Payments(sidecar, charges, settings, key)
            yield
        shutdown_tracing()

    configure_logging("payments")
    configure_tracing("payments")
    app = FastAPI(title="payments", version="0.1.0", lifespan=lifespan, telemetry=TELEMETRY)
    install_problem_handlers(app)
    app.add_exception_handler(UnknownToken, lambda _r, e: problem(422, str(e)))
    app.add_exception_handler(NotConfirmable, lambda _r, e: problem(409, str(e)))
    app.include_router(_routes())
    # Only sidecars reach payments: every charge route wants the token its daprd presents.
    app.add_middleware(AppTokenMiddleware, token=settings.edge.app_token, paths=("/charges",))
    app.add_middleware(EdgeMiddleware, max_body_bytes=settings.edge.max_body_bytes)
    app.add_middleware(RequestContextMiddleware)
    app.include_router(metrics.router)
    return app


def _routes() -> APIRouter:
    router = APIRouter()

    @router.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/health/startup", tags=["health"])
    async def started(request: Request) -> dict[str, str]:
        if getattr(request.app.state, "payments", None) is None:
            raise HTTPException(503, "Starting.")
        return {"status": "ok"}

    @router.get("/health/ready", tags=["health"])
    async def ready(payments: PaymentsDep) -> dict[str, str]:
        if not await payments.sidecar.is_healthy():
            raise HTTPException(503, "The sidecar is not ready.")
        return {"status": "ok"}

    @router.post("/charges", dependencies=[FromOrders])
    async def charge(body: ChargeRequest, payments: PaymentsDep) -> ChargeView:
        """Idempotent per order: a repeat answers the first charge, or its refund."""
        wanted = Charge.open(body.order_id, body.amount_cents, body.currency, body.payment_token)
        stored = await payments.charges.change(wanted.charge_id, lambda current: current or wanted)
        if body.payment_token == SLOW_TOKEN:
            # Captured first, answered late: the caller's timeout must lead to a refund.
            await asyncio.sleep(payments.settings.provider.slow_delay_seconds)
        return ChargeView.model_validate(stored.to_dict())

    @router.get("/charges/{charge_id}")
    async def get_charge(charge_id: str, payments: PaymentsDep) -> ChargeView:
        found = await payments.charges.get(charge_id)
        if found is None:
            raise HTTPException(404, f"No charge {charge_id!r}.")
        return ChargeView.model_validate(found.to_dict())

    @router.post("/charges/{charge_id}/refund", dependencies=[FromOrders])
    async def refund(charge_id: str, payments: PaymentsDep) -> ChargeView:
        order_id = _order_of(charge_id)

        def refunded(current: Charge | None) -> Charge:
            charge = current or Charge.voided_before_charge(order_id)
            charge.refund()
            return charge

        return ChargeView.model_validate(
            (await payments.charges.change(charge_id, refunded)).to_dict()
        )

    @router.post("/charges/{charge_id}/confirm")
    async def confirm(charge_id: str, payments: PaymentsDep) -> ChargeView:
        def confirmed(current: Charge | None) -> Charge:
            if current is None:
                raise HTTPException(404, f"No charge {charge_id!r}.")
            current.confirm()
            return current

        charge = await payments.charges.change(charge_id, confirmed)
        await _tell_orders(payments, charge)
        return ChargeView.model_validate(charge.to_dict())

    return router


def _order_of(charge_id: str) -> str:
    order_id = charge_id.removeprefix("ch_")
    if charge_id_for(order_id) != charge_id or not order_id:
        raise HTTPException(404, f"No charge {charge_id!r}.")
    return order_id


async def _tell_orders(payments: Payments, charge: Charge) -> None:
    """Calls `orders` back by app-id; if this fails, the saga's timeout refunds the charge."""
    response = await payments.sidecar.invoke(
        payments.settings.components.orders_app_id,
        "internal/payments/confirmed",
        verb="POST",
        json={"order_id": charge.order_id, "charge_id": charge.charge_id},
    )
    if response.is_error:
        log.warning("orders refused the confirmation of %s: %s", charge.charge_id, response.text)
        raise HTTPException(502, "The order service did not take the confirmation.")
