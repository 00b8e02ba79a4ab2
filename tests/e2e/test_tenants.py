"""Two tenants on one real stack (TENANCY_SOURCE=header): the same SKU with different stock in
each, checkouts in each, charges, events and read models that stay in their tenant, a token
that opens nothing in the other, and no overselling in either under concurrent checkouts."""

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.clients import SignedIn, tenant_admin_credentials
from devstack.runfile import RunFile
from devstack.secrets import ensure_local_secrets
from devstack.stack import RunningApp, Stack
from tests.support.api import payments_client, sidecar_client
from tests.support.checkout import charge_status, final_order, place, saga, stock
from tests.support.eventually import eventually
from tests.support.sidecar import CLOUDEVENTS_JSON, publish, read_state
from tests.support.stacks import ORDERS_ENV, own_stack

ACME, GLOBEX = "acme", "globex"
TENANTS = [ACME, GLOBEX]
HEADER = "X-Tenant-ID"
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def tenant_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    env = {
        **ORDERS_ENV,
        "TENANCY_SOURCE": "header",
        "TENANCY_TENANTS": json.dumps(TENANTS),
        # Long enough for the saga watch (3 s) to find a waiting saga before the customer acts.
        "ORDERS_PAYMENT_ACTION_TIMEOUT_SECONDS": "60",
    }

    def with_tenant_admins(run_file: RunFile, workdir: Path) -> RunFile:
        ensure_local_secrets(workdir / ".data" / "secrets.json", TENANTS)
        return run_file

    with own_stack(request, tmp_path_factory, "tenants", env, with_tenant_admins) as stack:
        yield stack


@pytest.fixture(scope="module")
def orders(tenant_stack: Stack) -> RunningApp:
    return tenant_stack.apps["orders"]


def tenant_client(orders: RunningApp, tenant: str, auth: httpx.Auth | None = None) -> httpx.Client:
    return httpx.Client(base_url=orders.url, timeout=30.0, headers={HEADER: tenant}, auth=auth)


def as_admin(orders: RunningApp, tenant: str) -> httpx.Client:
    email, password = tenant_admin_credentials(orders, tenant)
    return tenant_client(orders, tenant, SignedIn(orders.url, email, password, {HEADER: tenant}))


def as_customer(orders: RunningApp, tenant: str, email: str) -> httpx.Client:
    """Registers `email` in the tenant (once) and signs in as them there."""
    with tenant_client(orders, tenant) as anonymous:
        body = {"email": email, "password": PASSWORD, "name": f"Customer of {tenant}"}
        response = anonymous.post("/api/v1/auth/register", json=body)
        assert response.status_code in (201, 409), response.text
    return tenant_client(orders, tenant, SignedIn(orders.url, email, PASSWORD, {HEADER: tenant}))


def create_item(api: httpx.Client, sku: str, stock: int, price_cents: int) -> None:
    body = {"sku": sku, "name": "Tea", "price_cents": price_cents, "stock": stock}
    response = api.post("/api/v1/items", json=body)
    assert response.status_code == 201, response.text


def test_two_tenants_sell_the_same_sku_apart(orders: RunningApp, tenant_stack: Stack) -> None:
    sku, email, key = f"tea-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}@example.com", "k1"
    with as_admin(orders, ACME) as acme, as_admin(orders, GLOBEX) as globex:
        create_item(acme, sku, stock=3, price_cents=100)
        create_item(globex, sku, stock=7, price_cents=200)
        with (
            as_customer(orders, ACME, email) as ada_acme,
            as_customer(orders, GLOBEX, email) as ada_globex,
        ):
            # One address, one Idempotency-Key: the same order id in each tenant, two orders.
            acme_order = place(ada_acme, [(sku, 2)], key=key)
            globex_order = place(ada_globex, [(sku, 1)], key=key)
            assert acme_order == globex_order
            assert final_order(ada_acme, acme_order)["total_cents"] == 200
            assert final_order(ada_globex, globex_order)["total_cents"] == 200
            assert final_order(ada_acme, acme_order)["status"] == "confirmed"
            assert final_order(ada_globex, globex_order)["status"] == "confirmed"

        assert stock(acme, sku) == (1, 0)
        assert stock(globex, sku) == (6, 0)
    with payments_client(tenant_stack.apps["payments"]) as payments:
        assert charge_status(payments, f"acme~{acme_order}") == "captured"
        assert charge_status(payments, f"globex~{globex_order}") == "captured"
        assert charge_status(payments, acme_order) is None


def test_nothing_of_one_tenant_is_reachable_from_another(orders: RunningApp) -> None:
    sku, email = f"cup-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}@example.com"
    with as_admin(orders, ACME) as acme, as_customer(orders, ACME, email) as ada:
        create_item(acme, sku, stock=5, price_cents=300)
        order_id = place(ada, [(sku, 1)])
        final_order(ada, order_id)
        token = ada.get("/api/v1/users/me").request.headers["Authorization"]
        acme_admin = acme.get("/api/v1/users/me").request.headers["Authorization"]

    with as_admin(orders, GLOBEX) as globex, tenant_client(orders, GLOBEX) as anonymous:
        for path in (f"/api/v1/orders/{order_id}", f"/api/v1/orders/{order_id}/saga"):
            assert globex.get(path).status_code == 404
        assert globex.post(f"/api/v1/orders/{order_id}/cancel").status_code == 404
        assert globex.get(f"/api/v1/items/{sku}").status_code == 404
        restock = globex.post(f"/api/v1/items/{sku}/restock", json={"quantity": 5})
        assert restock.status_code == 404
        form = {"username": email, "password": PASSWORD}
        assert anonymous.post("/api/v1/auth/token", data=form).status_code == 401
        # A token of acme, with globex's header: refused before anything is done.
        for path in ("/api/v1/users/me", "/api/v1/orders"):
            refused = anonymous.get(path, headers={"Authorization": token})
            assert refused.status_code == 401 and "another tenant" in refused.json()["detail"]
        body = {"sku": f"x-{sku}", "name": "X", "price_cents": 1, "stock": 1}
        created = anonymous.post("/api/v1/items", json=body, headers={"Authorization": acme_admin})
        assert created.status_code == 401
        assert globex.get(f"/api/v1/items/x-{sku}").status_code == 404

    with tenant_client(orders, "initech") as unknown, httpx.Client(base_url=orders.url) as bare:
        assert unknown.get("/api/v1/items").status_code == 404
        assert bare.get("/api/v1/items").status_code == 400


def listed(api: httpx.Client, path: str, wanted: Any) -> list[Any] | None:
    items: list[Any] = api.get(path, params={"limit": 100}).json()["items"]
    return items if wanted(items) else None


def test_events_and_read_models_land_in_their_tenant(
    orders: RunningApp, tenant_stack: Stack
) -> None:
    sku, email = f"pot-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}@example.com"
    with as_admin(orders, ACME) as acme, as_admin(orders, GLOBEX) as globex:
        create_item(acme, sku, stock=4, price_cents=100)
        create_item(globex, sku, stock=9, price_cents=100)
        with as_customer(orders, ACME, email) as ada:
            order_id = place(ada, [(sku, 1)])
            final_order(ada, order_id)

        def catalog_has(count: int) -> Any:
            return lambda items: any(i["sku"] == sku and i["available"] == count for i in items)

        eventually(lambda: listed(acme, "/api/v1/items", catalog_has(3)), what="acme's catalog")
        eventually(lambda: listed(globex, "/api/v1/items", catalog_has(9)), what="globex's")
        eventually(
            lambda: listed(
                acme, "/api/v1/orders", lambda items: any(o["id"] == order_id for o in items)
            ),
            what="the order in acme's list",
        )
        assert all(o["id"] != order_id for o in globex.get("/api/v1/orders").json()["items"])

        # A shipment for acme, published as a warehouse's sidecar would: acme's stock only.
        shipment = {
            "specversion": "1.0",
            "id": uuid.uuid4().hex,
            "source": "warehouse",
            "type": "inventory.restocked",
            "tenant": ACME,
            "data": {"sku": sku, "quantity": 10, "shipment_id": uuid.uuid4().hex},
        }
        publisher = "orders" if tenant_stack.run_file.profile == "embedded" else "payments"
        with sidecar_client(tenant_stack.apps[publisher]) as sidecar:
            publish(sidecar, "warehouse", shipment, content_type=CLOUDEVENTS_JSON)
        eventually(lambda: stock(acme, sku) == (13, 0) or None, what="acme's restock")
        assert stock(globex, sku) == (9, 0)

    with sidecar_client(orders) as sidecar:
        assert read_state(sidecar, f"acme~catalog:item:{sku}")["available"] == 13
        assert read_state(sidecar, f"acme~orders:summary:{order_id}")["status"] == "confirmed"
        assert read_state(sidecar, f"catalog:item:{sku}") is None
        assert read_state(sidecar, f"orders:summary:{order_id}") is None


def waits_for_customer(api: httpx.Client, order_id: str) -> None:
    def waiting() -> bool | None:
        return saga(api, order_id)["current_step"] == "await_payment_confirmation" or None

    eventually(waiting, what=f"the saga of {order_id} to wait for the customer")


def test_a_waiting_saga_is_kept_confirmed_and_cancelled_in_its_own_tenant(
    orders: RunningApp, tenant_stack: Stack
) -> None:
    sku, email = f"jar-{uuid.uuid4().hex[:8]}", f"{uuid.uuid4().hex[:8]}@example.com"
    waiting: dict[str, str] = {}
    for tenant in TENANTS:
        with as_admin(orders, tenant) as admin:
            create_item(admin, sku, stock=5, price_cents=100)
        with as_customer(orders, tenant, email) as customer:
            waiting[tenant] = place(customer, [(sku, 1)], token="tok_action", key="wait")
            waits_for_customer(customer, waiting[tenant])
    # The saga watch looks at both pending orders (every 3 s) and finds their sagas running.
    time.sleep(7)
    with payments_client(tenant_stack.apps["payments"]) as payments:
        confirmed = payments.post(f"/charges/ch_acme~{waiting[ACME]}/confirm")
        assert confirmed.status_code == 200, confirmed.text
    with as_customer(orders, GLOBEX, email) as globex:
        assert globex.post(f"/api/v1/orders/{waiting[GLOBEX]}/cancel").status_code == 202
        cancelled = final_order(globex, waiting[GLOBEX])
    with as_customer(orders, ACME, email) as acme:
        assert final_order(acme, waiting[ACME])["status"] == "confirmed"
        assert stock(acme, sku) == (4, 0)
    assert (cancelled["status"], cancelled["status_reason"]) == (
        "cancelled",
        "cancelled_by_customer",
    )
    log = (tenant_stack.log_dir / "orders.log").read_text()
    assert "revived" not in log


async def checkouts(orders: RunningApp, tenant: str, sku: str, count: int) -> list[str]:
    """`count` one-unit orders at once, each retried with its own Idempotency-Key until the
    API accepts it."""
    email, password = tenant_admin_credentials(orders, tenant)
    auth = SignedIn(orders.url, email, password, {HEADER: tenant})
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
    async with httpx.AsyncClient(
        base_url=orders.url, timeout=60.0, headers={HEADER: tenant}, auth=auth
    ) as client:

        async def place_one(n: int) -> str:
            for _ in range(50):
                try:
                    response = await client.post(
                        "/api/v1/orders", json=body, headers={"Idempotency-Key": f"{sku}-{n}"}
                    )
                    if response.status_code == 202:
                        order_id: str = response.json()["id"]
                        return order_id
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            raise AssertionError(f"order {n} of {tenant} was never accepted")

        return await asyncio.gather(*(place_one(n) for n in range(count)))


def test_concurrent_checkouts_never_oversell_in_either_tenant(
    orders: RunningApp, tenant_stack: Stack
) -> None:
    sku, initial, count = f"mug-{uuid.uuid4().hex[:8]}", {ACME: 4, GLOBEX: 6}, 25
    for tenant in TENANTS:
        with as_admin(orders, tenant) as admin:
            create_item(admin, sku, stock=initial[tenant], price_cents=100)

    async def both() -> list[list[str]]:
        return await asyncio.gather(*(checkouts(orders, t, sku, count) for t in TENANTS))

    placed = dict(zip(TENANTS, asyncio.run(both()), strict=True))

    with payments_client(tenant_stack.apps["payments"]) as payments:
        for tenant in TENANTS:
            with as_admin(orders, tenant) as admin:
                ended = [final_order(admin, o, timeout=180.0) for o in placed[tenant]]
                confirmed = [o for o in ended if o["status"] == "confirmed"]
                assert len(set(placed[tenant])) == count
                assert len(confirmed) == initial[tenant], tenant
                assert stock(admin, sku) == (0, 0)
                for order in ended:
                    charge = charge_status(payments, f"{tenant}~{order['id']}")
                    assert (charge == "captured") == (order["status"] == "confirmed"), order
