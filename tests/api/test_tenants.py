"""Tenants at the API: a request names its tenant or is refused before anything runs, and for
every route, nothing of one tenant is visible or changeable from another. The route table
below must name every public route: a new route without a tenant case fails here."""

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient

from actors.messages import ItemView
from app.settings import TenancySettings
from app.tenancy import HEADER
from common.tenancy import DEFAULT_TENANT, SEPARATOR
from tests.api.conftest import ADMIN, PASSWORD, World, in_process, settings
from tests.api.tenants import ACME, API, GLOBEX, ITEM, Two, two_tenants
from tests.api.test_validation import assert_problem
from tests.pictures import png

ADA = "ada@example.com"
ORDER = {"lines": [{"sku": "tea", "quantity": 1}], "payment_token": "tok_ok"}


@pytest.fixture
def two(world: World) -> Iterator[Two]:
    with two_tenants(world) as two:
        yield two


def register_in_one_tenant_only(two: Two) -> None:
    two.register(ACME, ADA)
    form = {"username": ADA, "password": PASSWORD}
    refused = two.api.post(f"{API}/auth/token", data=form, headers=two.headers(GLOBEX))
    assert_problem(refused, 401)
    # The same address is free in the other tenant: another account, another password.
    body = {"email": ADA, "password": "another long password", "name": "Ada"}
    created = two.api.post(f"{API}/auth/register", json=body, headers=two.headers(GLOBEX))
    assert created.status_code == 201
    assert_problem(two.api.post(f"{API}/auth/token", data=form, headers=two.headers(GLOBEX)), 401)


def sign_in_to_one_tenant_only(two: Two) -> None:
    form = {"username": ADMIN[0], "password": ADMIN[1]}
    assert two.api.post(
        f"{API}/auth/token", data=form, headers=two.headers(DEFAULT_TENANT)
    ).is_success
    for tenant in (ACME, GLOBEX):
        assert_problem(
            two.api.post(f"{API}/auth/token", data=form, headers=two.headers(tenant)), 401
        )


def refresh_in_one_tenant_only(two: Two) -> None:
    two.register(ACME, ADA)
    token = two.pair(ACME, ADA)["refresh_token"]
    body = {"refresh_token": token}
    assert_problem(two.api.post(f"{API}/auth/refresh", json=body, headers=two.headers(GLOBEX)), 401)
    # Not spent by the attempt, so not taken for a stolen token either.
    assert two.api.post(f"{API}/auth/refresh", json=body, headers=two.headers(ACME)).is_success


def log_out_of_one_tenant_only(two: Two) -> None:
    # The same address has the same user id in both tenants; a revocation is the tenant's.
    acme, globex = two.customer(ACME), two.customer(GLOBEX)
    assert two.api.post(f"{API}/auth/logout", headers=globex).status_code == 204
    assert_problem(two.api.get(f"{API}/users/me", headers=globex), 401)
    assert two.api.get(f"{API}/users/me", headers=acme).json()["name"] == "Ada of acme"


def me_of_each_tenant(two: Two) -> None:
    acme, globex = two.customer(ACME), two.customer(GLOBEX)
    assert two.api.get(f"{API}/users/me", headers=acme).json()["name"] == "Ada of acme"
    assert two.api.get(f"{API}/users/me", headers=globex).json()["name"] == "Ada of globex"


def create_the_same_sku_in_each_tenant(two: Two) -> None:
    two.item(ACME)
    assert two.item(GLOBEX, price_cents=999, stock=50)["price_cents"] == 999
    acme_tea = two.api.get(f"{API}/items/tea", headers=two.headers(ACME)).json()
    assert (acme_tea["price_cents"], acme_tea["available"]) == (450, 5)


def read_an_item_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    assert_problem(two.api.get(f"{API}/items/tea", headers=two.headers(GLOBEX)), 404)
    assert_problem(two.api.get(f"{API}/items/tea", headers=two.headers(DEFAULT_TENANT)), 404)


def list_the_catalog_of_one_tenant_only(two: Two) -> None:
    item = cast(ItemView, two.item(ACME))
    asyncio.run(two.read_models(ACME).item_created(item, 1, "2026-12-01T10:00:00+00:00"))
    listed = two.api.get(f"{API}/items", headers=two.headers(ACME)).json()["items"]
    assert [i["sku"] for i in listed] == ["tea"]
    assert two.api.get(f"{API}/items", headers=two.headers(GLOBEX)).json()["items"] == []


def restock_in_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    body = {"quantity": 10}
    assert_problem(
        two.api.post(f"{API}/items/tea/restock", json=body, headers=two.admin(GLOBEX)), 404
    )
    assert two.api.get(f"{API}/items/tea", headers=two.headers(ACME)).json()["available"] == 5


def order_in_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    globex = two.customer(GLOBEX)
    assert_problem(two.api.post(f"{API}/orders", json=ORDER, headers=globex), 422)
    # One address, one Idempotency-Key, two tenants: two orders, two sagas, no replay.
    two.item(GLOBEX)
    acme_order = two.order(two.customer(ACME), key="k1")
    globex_order = two.order(globex, key="k1")
    assert acme_order == globex_order
    scheduled = [call[1] for call in two.world.sagas.calls if call[0] == "schedule"]
    assert scheduled == [f"acme~{acme_order}", f"globex~{globex_order}"]


def read_an_order_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    assert_problem(two.api.get(f"{API}/orders/{order_id}", headers=two.admin(GLOBEX)), 404)
    assert_problem(two.api.get(f"{API}/orders/{order_id}", headers=two.admin(DEFAULT_TENANT)), 404)


def list_the_orders_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    two.index_order(ACME, order_id)
    listed = two.api.get(f"{API}/orders", headers=two.admin(ACME)).json()["items"]
    assert [o["id"] for o in listed] == [order_id]
    assert two.api.get(f"{API}/orders", headers=two.admin(GLOBEX)).json()["items"] == []
    assert two.api.get(f"{API}/orders", headers=two.customer(GLOBEX)).json()["items"] == []


def cancel_an_order_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    refused = two.api.post(f"{API}/orders/{order_id}/cancel", headers=two.admin(GLOBEX))
    assert_problem(refused, 404)
    assert [c for c in two.world.sagas.calls if c[0] == "raise"] == []


def read_a_saga_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    order_id = two.order(two.customer(ACME))
    assert two.api.get(f"{API}/orders/{order_id}/saga", headers=two.admin(ACME)).is_success
    assert_problem(two.api.get(f"{API}/orders/{order_id}/saga", headers=two.admin(GLOBEX)), 404)


def show_a_picture_in_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    two.item(GLOBEX)
    picture = png(seed=1)
    put = two.api.put(f"{API}/items/tea/image", content=picture, headers=two.admin(ACME))
    assert put.is_success, put.text
    assert all(key.startswith(f"{ACME}{SEPARATOR}") for key in two.world.blobs.blobs)
    assert two.api.get(f"{API}/items/tea", headers=two.headers(GLOBEX)).json()["image"] is None


def read_a_picture_of_one_tenant_only(two: Two) -> None:
    two.item(ACME)
    picture = png(seed=2)
    two.api.put(f"{API}/items/tea/image", content=picture, headers=two.admin(ACME))
    assert two.api.get(f"{API}/items/tea/image", headers=two.headers(ACME)).content == picture
    assert_problem(two.api.get(f"{API}/items/tea/image", headers=two.headers(GLOBEX)), 404)


@dataclass(frozen=True)
class Route:
    """A public route: a request to it, whether it wants a token, and its tenant case."""

    path: str
    request: dict[str, Any]
    authenticated: bool
    isolated: Callable[[Two], None]


ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/auth/register"): Route(
        "/auth/register",
        {"json": {"email": ADA, "password": PASSWORD, "name": "Ada"}},
        False,
        register_in_one_tenant_only,
    ),
    ("POST", "/auth/token"): Route(
        "/auth/token",
        {"data": {"username": ADA, "password": PASSWORD}},
        False,
        sign_in_to_one_tenant_only,
    ),
    ("POST", "/auth/refresh"): Route(
        "/auth/refresh", {"json": {"refresh_token": "x"}}, False, refresh_in_one_tenant_only
    ),
    ("POST", "/auth/logout"): Route("/auth/logout", {}, True, log_out_of_one_tenant_only),
    ("GET", "/users/me"): Route("/users/me", {}, True, me_of_each_tenant),
    ("POST", "/items"): Route(
        "/items",
        {"json": {"sku": "tea", "name": "Tea", "price_cents": 1, "stock": 1}},
        True,
        create_the_same_sku_in_each_tenant,
    ),
    ("GET", "/items/{sku}"): Route("/items/tea", {}, False, read_an_item_of_one_tenant_only),
    ("GET", "/items"): Route("/items", {}, False, list_the_catalog_of_one_tenant_only),
    ("POST", "/items/{sku}/restock"): Route(
        "/items/tea/restock", {"json": {"quantity": 1}}, True, restock_in_one_tenant_only
    ),
    ("POST", "/orders"): Route("/orders", {"json": ORDER}, True, order_in_one_tenant_only),
    ("GET", "/orders/{order_id}"): Route("/orders/o1", {}, True, read_an_order_of_one_tenant_only),
    ("GET", "/orders"): Route("/orders", {}, True, list_the_orders_of_one_tenant_only),
    ("POST", "/orders/{order_id}/cancel"): Route(
        "/orders/o1/cancel", {}, True, cancel_an_order_of_one_tenant_only
    ),
    ("GET", "/orders/{order_id}/saga"): Route(
        "/orders/o1/saga", {}, True, read_a_saga_of_one_tenant_only
    ),
    ("PUT", "/items/{sku}/image"): Route(
        "/items/tea/image", {"content": png()}, True, show_a_picture_in_one_tenant_only
    ),
    ("GET", "/items/{sku}/image"): Route(
        "/items/tea/image", {}, False, read_a_picture_of_one_tenant_only
    ),
}


def test_every_public_route_has_a_tenant_case(two: Two) -> None:
    schema = two.api.get("/openapi.json").json()
    routes = {
        (method.upper(), path.removeprefix(API))
        for path, operations in schema["paths"].items()
        if path.startswith(API)
        for method in operations
    }
    assert routes == set(ROUTES)


def test_the_schema_documents_the_tenant_header(two: Two) -> None:
    schema = two.api.get("/openapi.json").json()
    api = {path: ops for path, ops in schema["paths"].items() if path.startswith(API)}
    assert api
    for path, operations in api.items():
        for operation in operations.values():
            names = {(p["name"], p["in"], p["required"]) for p in operation.get("parameters", [])}
            assert (HEADER, "header", True) in names, path


@pytest.mark.parametrize("route", ROUTES.values(), ids=[" ".join(k) for k in ROUTES])
def test_one_tenant_sees_and_changes_nothing_of_another(two: Two, route: Route) -> None:
    route.isolated(two)


AUTHENTICATED = [key for key, route in ROUTES.items() if route.authenticated]


@pytest.mark.parametrize("key", AUTHENTICATED, ids=[" ".join(k) for k in AUTHENTICATED])
def test_a_token_of_one_tenant_is_refused_by_another(two: Two, key: tuple[str, str]) -> None:
    two.item(GLOBEX)
    acme_admin = two.admin(ACME)["Authorization"]
    before = dict(two.world.store.documents)
    headers = {**two.headers(GLOBEX), "Authorization": acme_admin, "Idempotency-Key": "k"}
    route = ROUTES[key]
    response = two.api.request(key[0], f"{API}{route.path}", headers=headers, **route.request)

    assert "another tenant" in assert_problem(response, 401)["detail"]
    assert two.world.store.documents == before
    assert [c for c in two.world.sagas.calls if c[0] != "schedule"] == []


@pytest.mark.parametrize(
    ("headers", "status", "detail"),
    [
        ({}, 400, "missing"),
        ({HEADER: "Acme"}, 400, "not a tenant id"),
        ({HEADER: "acme~x"}, 400, "not a tenant id"),
        ({HEADER: "x" * 40}, 400, "not a tenant id"),
        ({HEADER: "initech"}, 404, "No tenant 'initech'"),
    ],
)
@pytest.mark.parametrize("key", list(ROUTES), ids=[" ".join(k) for k in ROUTES])
def test_a_request_without_a_known_tenant_is_refused_before_anything_runs(
    two: Two, key: tuple[str, str], headers: dict[str, str], status: int, detail: str
) -> None:
    route = ROUTES[key]
    before, reads = dict(two.world.store.documents), two.world.store.reads
    response = two.api.request(
        key[0], f"{API}{route.path}", headers={**headers, "Idempotency-Key": "k"}, **route.request
    )

    assert detail in assert_problem(response, status)["detail"]
    assert (two.world.store.documents, two.world.store.reads) == (before, reads)


def test_without_tenants_the_header_changes_nothing(api: TestClient, world: World) -> None:
    body = {"email": ADA, "password": PASSWORD, "name": "Ada"}

    assert api.post(f"{API}/auth/register", json=body, headers={HEADER: ACME}).status_code == 201
    assert api.post(f"{API}/auth/register", json=body).status_code == 409
    assert not any(SEPARATOR in key for key in world.store.documents)


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("acme.shop.test", 200),
        ("ACME.shop.test:8000", 200),
        ("default.shop.test", 404),
        ("shop.test", 400),
        ("a.acme.shop.test", 400),
        ("acme.evil.test", 400),
        ("initech.shop.test", 404),
    ],
)
def test_the_host_names_the_tenant_under_the_base_domain(
    world: World, host: str, status: int
) -> None:
    tenancy = TenancySettings(source="subdomain", base_domain="shop.test", tenants=[ACME])
    with in_process(world, replace(settings(), tenancy=tenancy)) as api:
        acme = {"Host": "acme.shop.test"}
        form = {"username": f"admin@{ACME}.example.com", "password": ADMIN[1]}
        token = api.post(f"{API}/auth/token", data=form, headers=acme).json()["access_token"]
        created = api.post(
            f"{API}/items", json=ITEM, headers={**acme, "Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201

        response = api.get(f"{API}/items/tea", headers={"Host": host})

    assert response.status_code == status, response.text
