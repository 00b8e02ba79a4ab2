"""Tenant scoping of keys, actor ids, sagas and notifications (common/tenancy.py), and the
tenancy settings."""

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from pydantic import ValidationError

from app.settings import TenancySettings
from common.memory_state import MemoryDocuments
from common.state import insert_document, read_document
from common.tenancy import (
    DEFAULT_TENANT,
    ScopedActors,
    ScopedDocuments,
    id_beside,
    is_tenant_id,
    scoped_id,
    scoped_key,
    split_id,
    tenant_documents,
    tenant_notifications,
)


@pytest.mark.parametrize("tenant", ["acme", "a", "a1", "shop-2", "x" * 32, "0day"])
def test_tenant_ids_are_short_lowercase_dns_labels(tenant: str) -> None:
    assert is_tenant_id(tenant)


@pytest.mark.parametrize(
    "tenant", ["", "Acme", "-acme", "acme-", "ac_me", "ac~me", "ac.me", "x" * 33, "acme\n", "é"]
)
def test_anything_else_is_not_a_tenant_id(tenant: str) -> None:
    assert not is_tenant_id(tenant)


def test_the_default_tenant_keeps_every_name_as_it_was() -> None:
    assert scoped_key(DEFAULT_TENANT, "user|u_1") == "user|u_1"
    assert scoped_id(DEFAULT_TENANT, "tea") == "tea"
    assert split_id("tea") == (DEFAULT_TENANT, "tea")
    assert split_id("20260101000000-abc") == (DEFAULT_TENANT, "20260101000000-abc")


def test_another_tenant_s_names_carry_its_id_in_front() -> None:
    assert scoped_key("acme", "user|u_1") == "acme~user|u_1"
    assert scoped_id("acme", "tea") == "acme~tea"
    assert split_id("acme~tea") == ("acme", "tea")
    assert split_id(scoped_id("acme", "key-0f")) == ("acme", "key-0f")


def test_an_order_s_skus_live_in_its_tenant() -> None:
    assert id_beside("acme~key-0f", "tea") == "acme~tea"
    assert id_beside("key-0f", "tea") == "tea"


@pytest.mark.parametrize("tenant", [DEFAULT_TENANT, "acme"])
def test_an_id_that_could_name_another_tenant_s_is_refused(tenant: str) -> None:
    with pytest.raises(ValueError, match="holds no"):
        scoped_id(tenant, "globex~tea")


def test_a_malformed_tenant_scopes_nothing() -> None:
    with pytest.raises(ValueError, match="not a tenant id"):
        scoped_key("Acme", "user|u_1")


def test_tenants_with_the_same_key_write_different_documents() -> None:
    store = MemoryDocuments()
    acme, globex = ScopedDocuments(store, "acme"), ScopedDocuments(store, "globex")

    async def scenario() -> None:
        assert await insert_document(acme, "user|u_1", {"name": "acme's"})
        assert await insert_document(globex, "user|u_1", {"name": "globex's"})
        assert await insert_document(store, "user|u_1", {"name": "default's"})
        assert await read_document(acme, "user|u_1") == {"name": "acme's"}
        assert await acme.read_many(["user|u_1", "user|u_2"]) == {"user|u_1": {"name": "acme's"}}
        await globex.delete("user|u_1")
        assert await read_document(acme, "user|u_1") is not None

    asyncio.run(scenario())
    assert store.documents == {
        "acme~user|u_1": {"name": "acme's"},
        "user|u_1": {"name": "default's"},
    }


def test_the_default_tenant_s_documents_are_the_store_itself() -> None:
    store = MemoryDocuments()
    assert tenant_documents(store, DEFAULT_TENANT) is store
    assert isinstance(tenant_documents(store, "acme"), ScopedDocuments)


class RecordingInvoker:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any:
        self.calls.append((actor_type, actor_id, method))
        return request


def test_every_actor_call_reaches_the_tenant_s_actor() -> None:
    invoker = RecordingInvoker()

    async def scenario() -> None:
        await ScopedActors(invoker, "acme").invoke("Inventory", "tea", "Reserve", {})
        await ScopedActors(invoker, DEFAULT_TENANT).invoke("Order", "o1", "Get", None)
        with pytest.raises(ValueError):
            await ScopedActors(invoker, DEFAULT_TENANT).invoke("Inventory", "acme~tea", "Get", None)

    asyncio.run(scenario())
    assert invoker.calls == [("Inventory", "acme~tea", "Reserve"), ("Order", "o1", "Get")]


class Sent:
    def __init__(self) -> None:
        self.names: list[str] = []

    async def send(self, name: str, document: Mapping[str, Any]) -> None:  # noqa: ARG002
        self.names.append(name)


def test_notices_of_tenants_do_not_overwrite_each_other() -> None:
    sent = Sent()

    async def scenario() -> None:
        await tenant_notifications(sent, "acme").send("o1-confirmed.json", {})
        await tenant_notifications(sent, DEFAULT_TENANT).send("o1-confirmed.json", {})

    asyncio.run(scenario())
    assert sent.names == ["acme~o1-confirmed.json", "o1-confirmed.json"]


def test_by_default_there_is_one_tenant() -> None:
    settings = TenancySettings()
    assert settings.source == "none"
    assert settings.all_tenants == (DEFAULT_TENANT,)


def test_tenants_are_read_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANCY_SOURCE", "header")
    monkeypatch.setenv("TENANCY_TENANTS", '["acme", "globex", "default"]')
    assert TenancySettings().all_tenants == (DEFAULT_TENANT, "acme", "globex")


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"source": "header", "tenants": ["Acme"]}, "do not match"),
        ({"tenants": ["acme"]}, "TENANCY_SOURCE=header or subdomain"),
        ({"source": "subdomain"}, "TENANCY_BASE_DOMAIN"),
        ({"source": "path"}, "source"),
    ],
)
def test_inconsistent_tenancy_settings_refuse_to_start(
    settings: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValidationError, match=error):
        TenancySettings(**settings)
