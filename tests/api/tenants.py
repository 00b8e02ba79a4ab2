"""Two tenants, `acme` and `globex`, on one in-process app (TENANCY_SOURCE=header), with
helpers that act as either one."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from fastapi.testclient import TestClient

from app.read_models import ReadModels
from app.settings import TenancySettings
from app.tenancy import HEADER
from common.tenancy import tenant_documents
from tests.api.conftest import PASSWORD, World, admin_of, in_process, settings

ACME, GLOBEX = "acme", "globex"
TENANCY = TenancySettings(source="header", tenants=[ACME, GLOBEX])
API = "/api/v1"
ITEM = {"sku": "tea", "name": "Green tea", "price_cents": 450, "stock": 5}


@dataclass
class Two:
    api: TestClient
    world: World

    def headers(self, tenant: str, token: str | None = None) -> dict[str, str]:
        bearer = {"Authorization": f"Bearer {token}"} if token else {}
        return {HEADER: tenant, **bearer}

    def pair(self, tenant: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
        form = {"username": email, "password": password}
        response = self.api.post(f"{API}/auth/token", data=form, headers=self.headers(tenant))
        assert response.status_code == 200, response.text
        pair: dict[str, Any] = response.json()
        return pair

    def signed_in(self, tenant: str, email: str, password: str = PASSWORD) -> dict[str, str]:
        return self.headers(tenant, self.pair(tenant, email, password)["access_token"])

    def admin(self, tenant: str) -> dict[str, str]:
        return self.signed_in(tenant, *admin_of(tenant))

    def register(self, tenant: str, email: str = "ada@example.com", name: str = "Ada") -> None:
        body = {"email": email, "password": PASSWORD, "name": name}
        response = self.api.post(f"{API}/auth/register", json=body, headers=self.headers(tenant))
        assert response.status_code == 201, response.text

    def customer(self, tenant: str, email: str = "ada@example.com") -> dict[str, str]:
        self.register(tenant, email, f"Ada of {tenant}")
        return self.signed_in(tenant, email)

    def item(self, tenant: str, **fields: Any) -> dict[str, Any]:
        body = {**ITEM, **fields}
        response = self.api.post(f"{API}/items", json=body, headers=self.admin(tenant))
        assert response.status_code == 201, response.text
        item: dict[str, Any] = response.json()
        return item

    def order(self, who: dict[str, str], key: str | None = None) -> str:
        body = {"lines": [{"sku": "tea", "quantity": 1}], "payment_token": "tok_ok"}
        extra = {"Idempotency-Key": key} if key else {}
        response = self.api.post(f"{API}/orders", json=body, headers={**who, **extra})
        assert response.status_code == 202, response.text
        order_id: str = response.json()["id"]
        return order_id

    def read_models(self, tenant: str) -> ReadModels:
        """What the tenant's subscribers would write; the in-process tier writes it itself."""
        return ReadModels(tenant_documents(self.world.store, tenant))

    def index_order(self, tenant: str, order_id: str) -> None:
        view = asyncio.run(self.world.actors_of(tenant)[1].get(order_id))
        assert view is not None
        asyncio.run(self.read_models(tenant).order_changed(view))


@contextmanager
def two_tenants(world: World) -> Iterator[Two]:
    with in_process(world, replace(settings(), tenancy=TENANCY)) as api:
        yield Two(api, world)
