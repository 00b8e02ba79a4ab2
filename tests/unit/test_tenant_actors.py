"""Actors, sagas and saga steps of a tenant: the actor knows its tenant from its id, keeps the
id its clients use, and names its tenant on every event; a saga's steps reach only the
tenant's actors."""

import asyncio
from datetime import timedelta

from dapr.actor import ActorId

from actors.clients import InventoryClient
from actors.messages import ItemDefinition, OrderLine, OrderView, Payment
from actors.order import SAGA_WATCH, Order
from app.checkout import TenantSagas, keep_saga
from common.tenancy import DEFAULT_TENANT
from tests.fakes.actors import Events, InventoryInMemory, MemorySidecar, after_turns, runtime
from tests.fakes.catalog import FakeOrders
from tests.fakes.sagas import FakeSagas
from workflows.activities import CheckoutDependencies, confirm_order, reserve_stock
from workflows.messages import ChargeRequest, ChargeResult, StockRequest

ITEM: ItemDefinition = {"name": "Tea", "price_cents": 450, "stock": 10, "low_stock_threshold": 9}
LINE: OrderLine = {"sku": "tea", "quantity": 2, "unit_price_cents": 450}
STALL = timedelta(minutes=15)
PAYMENT: Payment = {
    "currency": "EUR",
    "payment_token": "tok_ok",
    "payment_action_timeout_seconds": 1,
}
AT = "2026-12-01T10:00:00+00:00"


def test_an_item_of_a_tenant_knows_its_sku_and_names_its_tenant_on_events() -> None:
    sidecar, events = MemorySidecar(), Events()
    inventory = InventoryClient(InventoryInMemory(sidecar, events))

    async def scenario() -> None:
        await inventory.create("acme~tea", ITEM)
        await inventory.create("tea", {**ITEM, "stock": 3})
        await inventory.reserve("acme~tea", "acme~o1", 2)
        await after_turns()

    asyncio.run(scenario())
    # Each call activates the actor afresh, which publishes again what it had not trimmed.
    acme = {e["id"] for e in events.published if e.get("tenant") == "acme"}
    default = {e["id"] for e in events.published if "tenant" not in e}
    assert acme == {"acme~tea:1", "acme~tea:2", "acme~tea:2:low_stock"}
    assert default == {"tea:1"}
    assert {e["data"]["sku"] for e in events.published} == {"tea"}
    assert sidecar.stored("Inventory", "acme~tea", "item")["item"]["sku"] == "tea"
    assert sidecar.stored("Inventory", "tea", "item")["item"]["stock"]["available"] == 3


def test_an_order_of_a_tenant_keeps_its_id_and_its_watch_names_the_tenant() -> None:
    sidecar, events = MemorySidecar(), Events()
    kept: list[tuple[str, str]] = []

    async def keep(tenant: str, order: OrderView, _payment: Payment) -> str:
        kept.append((tenant, order["id"]))
        return "running"

    def activate(actor_id: str) -> Order:
        return Order(runtime(Order, sidecar), ActorId(actor_id), events, keep, timedelta(1))

    async def scenario() -> OrderView:
        request = {"customer_id": "u_1", "lines": [LINE], "at": AT, "payment": PAYMENT}
        placed = await activate("acme~o1").place(request)  # type: ignore[arg-type]
        await activate("o1").place(request)  # type: ignore[arg-type]
        watch = sidecar.reminders["Order", "acme~o1", SAGA_WATCH]
        await activate("acme~o1").receive_reminder(SAGA_WATCH, watch, timedelta(), timedelta())
        await after_turns()
        assert placed["ok"]
        view: OrderView = placed["value"]
        return view

    view = asyncio.run(scenario())
    assert view["id"] == "o1"
    assert kept == [("acme", "o1")]
    assert {(e["id"], e.get("tenant")) for e in events.published} == {
        ("acme~o1:pending", "acme"),
        ("o1:pending", None),
    }


class NoPayments:
    async def charge(self, request: ChargeRequest) -> ChargeResult:
        raise AssertionError(f"not charged here: {request}")

    async def refund(self, order_id: str) -> str:
        raise AssertionError(f"not refunded here: {order_id}")


def test_a_saga_s_steps_reach_only_its_tenant_s_stock() -> None:
    sidecar, events = MemorySidecar(), Events()
    inventory = InventoryClient(InventoryInMemory(sidecar, events))
    orders = FakeOrders()
    deps = CheckoutDependencies(inventory=inventory, orders=orders, payments=NoPayments())

    async def scenario() -> None:
        await inventory.create("acme~tea", ITEM)
        await inventory.create("tea", ITEM)
        await orders.place(
            "acme~o1", {"customer_id": "u_1", "lines": [LINE], "at": AT, "payment": PAYMENT}
        )
        request: StockRequest = {"order_id": "acme~o1", "lines": [{"sku": "tea", "quantity": 2}]}
        reserved = await reserve_stock.body(deps, request)
        assert reserved == {"pending": True, "status": "pending", "short": []}
        await confirm_order.body(deps, {**request, "at": AT})

    asyncio.run(scenario())
    assert sidecar.stored("Inventory", "acme~tea", "item")["item"]["stock"]["available"] == 8
    assert sidecar.stored("Inventory", "tea", "item")["item"]["stock"]["available"] == 10


def test_a_tenant_s_sagas_are_its_orders_scoped() -> None:
    sagas = FakeSagas()
    order: OrderView = {
        "id": "o1",
        "customer_id": "u_1",
        "lines": [LINE],
        "status": "pending",
        "status_reason": None,
        "history": [],
        "total_cents": 900,
        "created_at": AT,
    }

    async def scenario() -> None:
        assert await keep_saga(TenantSagas(sagas, "acme"), order, PAYMENT, STALL) == "started"
        default = TenantSagas(sagas, DEFAULT_TENANT)
        assert await keep_saga(default, order, PAYMENT, STALL) == "started"
        assert await TenantSagas(sagas, "globex").get_workflow_state("o1") is None
        await TenantSagas(sagas, "acme").raise_workflow_event("o1", "cancel_requested")
        await TenantSagas(sagas, "acme").purge_workflow("o1")

    asyncio.run(scenario())
    assert sagas.calls == [
        ("schedule", "acme~o1"),
        ("schedule", "o1"),
        ("raise", "acme~o1", "cancel_requested"),
        ("purge", "acme~o1"),
    ]
