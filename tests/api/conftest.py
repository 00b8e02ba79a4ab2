"""The `orders` API in-process: FastAPI's TestClient over the real app, whose services are
fakes behind the same interfaces (actors, sagas, the state store, readiness). No sidecar, so
every validation, error document, auth rule and perimeter rule is checked in seconds; the
e2e suite keeps one test per rule where the real sidecar matters."""

import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from argon2 import PasswordHasher
from dapr.ext.fastapi import DaprActor
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

from actors.clients import InventoryActors, OrderActors
from app.auth.passwords import Passwords
from app.auth.tokens import TokenSigner
from app.main import BuildServices, create_app
from app.services import Shared, tenant_services
from app.settings import AuthSettings, OrdersSettings, PerimeterSettings
from app.tenancy import Tenants
from common.memory_state import MemoryDocuments
from common.settings import EdgeSettings
from common.tenancy import DEFAULT_TENANT
from tests.fakes.blobs import MemoryBlobs
from tests.fakes.catalog import FakeInventory, FakeOrders
from tests.fakes.flags import FakeFlagStore
from tests.fakes.sagas import FakeSagas

APP_TOKEN = "the-token-the-sidecar-presents-to-the-app"
SIGNING_KEY = "a-signing-key-for-in-process-tests-only-0123456789"
ADMIN = ("admin@example.com", "a long enough secret")
PASSWORD = "correct horse battery"
UNLIMITED = "1000000/minute"
# Argon2id still, with parameters that cost a millisecond instead of a sixth of a second.
CHEAP_PASSWORDS = Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@dataclass
class FakeReadiness:
    up: dict[str, bool] = field(
        default_factory=lambda: {
            "sidecar": True,
            "sidecar_grpc": True,
            "actors": True,
            "workflows": True,
        }
    )

    async def checks(self) -> dict[str, bool]:
        return dict(self.up)


@dataclass
class SentDocuments:
    """The notifications binding: what was sent, by name."""

    sent: dict[str, Mapping[str, Any]] = field(default_factory=dict)

    async def send(self, name: str, document: Mapping[str, Any]) -> None:
        self.sent[name] = document


@dataclass
class World:
    """What the fakes behind the API hold, for a test to arrange and to look at."""

    store: MemoryDocuments = field(default_factory=MemoryDocuments)
    inventory: FakeInventory = field(default_factory=FakeInventory)
    # The real Inventory actors (over an in-memory sidecar) in place of the fake, for a test
    # about what they answer.
    real_inventory: InventoryActors | None = None
    orders: FakeOrders = field(default_factory=FakeOrders)
    sagas: FakeSagas = field(default_factory=FakeSagas)
    readiness: FakeReadiness = field(default_factory=FakeReadiness)
    notifications: SentDocuments = field(default_factory=SentDocuments)
    flag_store: FakeFlagStore = field(default_factory=FakeFlagStore)
    blobs: MemoryBlobs = field(default_factory=MemoryBlobs)
    # The actors of tenants other than the default one, which has those above.
    tenant_actors: dict[str, tuple[FakeInventory, FakeOrders]] = field(default_factory=dict)

    def actors_of(self, tenant: str) -> tuple[InventoryActors, OrderActors]:
        if tenant == DEFAULT_TENANT:
            return self.real_inventory or self.inventory, self.orders
        return self.tenant_actors.setdefault(tenant, (FakeInventory(), FakeOrders()))


# Read from the environment once: each settings class costs milliseconds to build.
_DEFAULTS = OrdersSettings(auth=AuthSettings(), edge=EdgeSettings(APP_API_TOKEN=APP_TOKEN))


def settings(**perimeter: object) -> OrdersSettings:
    limits = {
        "login_rate_limit": UNLIMITED,
        "register_rate_limit": UNLIMITED,
        "general_rate_limit": UNLIMITED,
        **perimeter,
    }
    return replace(_DEFAULTS, perimeter=PerimeterSettings(**limits))  # type: ignore[arg-type]


@dataclass
class _WorldSlot:
    """The world behind the next client of one app."""

    world: World = field(default_factory=World)


@dataclass
class _Served:
    """One app for the whole run, with one TestClient kept open on it. Building the app
    (FastAPI's route and dependency analysis) takes a tenth of a second, and opening a client
    starts a thread and an event loop: both cost more than most tests. The app keeps no state
    of its own between tests (its middleware holds only settings); each test runs the app's
    own lifespan again, which builds the services anew over that test's world."""

    app: FastAPI
    slot: _WorldSlot
    client: TestClient


# One per distinct settings.
_SERVED: dict[str, _Served] = {}


@contextmanager
def in_process(world: World, orders_settings: OrdersSettings) -> Iterator[TestClient]:
    """The app over the fakes, each tenant's services made as the real ones are
    (app.services.tenant_services): one store and one saga engine for all tenants."""
    served = _served(orders_settings)
    served.slot.world = world
    served.client.cookies.clear()
    portal = served.client.portal
    assert portal is not None, "the client is kept open for the run"
    lifespan = served.app.router.lifespan_context(served.app)
    portal.call(lifespan.__aenter__)
    try:
        yield served.client
    finally:
        portal.call(lifespan.__aexit__, None, None, None)


def _served(orders_settings: OrdersSettings) -> _Served:
    key = repr(orders_settings)
    if key not in _SERVED:
        slot = _WorldSlot()
        app = create_app(orders_settings, _services_over(slot))
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        _SERVED[key] = _Served(app, slot, client)
    return _SERVED[key]


@pytest.fixture(scope="package", autouse=True)
def clients_closed_at_the_end() -> Iterator[None]:
    yield
    while _SERVED:
        _, served = _SERVED.popitem()
        served.client.__exit__(None, None, None)


def _services_over(slot: _WorldSlot) -> BuildServices:
    @asynccontextmanager
    async def services(chosen: OrdersSettings, _host: DaprActor) -> AsyncIterator[Tenants]:
        world = slot.world
        shared = Shared(
            settings=chosen,
            readiness=world.readiness,
            store=world.store,
            actors=world.actors_of,
            sagas=world.sagas,
            notifications=world.notifications,
            flags=world.flag_store.flags,
            blobs=world.blobs,
            signer=TokenSigner(SIGNING_KEY, chosen.auth),
            passwords=CHEAP_PASSWORDS,
        )
        tenants = {t: tenant_services(shared, t) for t in chosen.tenancy.all_tenants}
        for tenant, services in tenants.items():
            await services.auth.ensure_admin(*admin_of(tenant))
        yield tenants

    return services


def admin_of(tenant: str) -> tuple[str, str]:
    """The bootstrap administrator of each tenant in these tests."""
    return ADMIN if tenant == DEFAULT_TENANT else (f"admin@{tenant}.example.com", ADMIN[1])


@pytest.fixture(scope="package", autouse=True)
def request_lines_left_unlogged() -> Iterator[None]:
    """One line per request from the app's middleware and one from the test client: thousands
    of lines no test reads, whose formatting took a sixth of this tier's time. Warnings and
    errors still reach the report of a failed test."""
    quiet = [logging.getLogger(name) for name in ("app.requests", "httpx2")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    yield
    for logger, level in zip(quiet, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture(scope="package", autouse=True)
def httpx_and_grpc_left_uninstrumented() -> Iterator[None]:
    """create_app instruments every httpx and gRPC client of the process it runs in. Here that
    is pytest's, whose later tiers send their own `traceparent`: the instrumented client would
    replace it with a trace of its own."""
    yield
    HTTPXClientInstrumentor().uninstrument()
    GrpcAioInstrumentorClient().uninstrument()  # type: ignore[no-untyped-call]


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def api(world: World) -> Iterator[TestClient]:
    with in_process(world, settings()) as client:
        yield client


def sign_in(api: TestClient, email: str, password: str) -> dict[str, str]:
    response = api.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def admin(api: TestClient) -> dict[str, str]:
    return sign_in(api, *ADMIN)


def register(api: TestClient, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "name": "A customer"}
    assert api.post("/api/v1/auth/register", json=body).status_code == 201
    return sign_in(api, email, PASSWORD)


@pytest.fixture
def customer(api: TestClient) -> dict[str, str]:
    return register(api, "ada@example.com")
