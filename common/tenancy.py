"""Tenants: which tenant a state key, an actor id, a saga or a notification belongs to, in one
place. Every name that belongs to a tenant is made here.

The default tenant keeps the names it had before tenants existed, so a single-tenant service
(TENANCY_SOURCE=none) stores exactly what it always did. Every other tenant's names are its id
and `~` in front: `acme~user|u_…`, the actor `Inventory/acme~tea`, the saga `acme~key-…`.
No tenant id, SKU, order id or key of the default tenant holds a `~` in that place, so one
tenant's names cannot be spelled from another tenant, the default one included.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from common.bindings import Notifications
from common.blobs import Blobs
from common.state import Document, Documents, Versioned

DEFAULT_TENANT = "default"
SEPARATOR = "~"
# Lowercase letters, digits and inner dashes, at most 32: a DNS label, a state-key prefix and
# part of a workflow instance id as it is.
TENANT_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$"
_TENANT = re.compile(TENANT_PATTERN)


def is_tenant_id(value: str) -> bool:
    return _TENANT.fullmatch(value) is not None


def scoped_key(tenant: str, key: str) -> str:
    """A state key (or a notification's name) as `tenant` owns it."""
    if tenant == DEFAULT_TENANT:
        return key
    if not is_tenant_id(tenant):
        raise ValueError(f"not a tenant id: {tenant!r}")
    return f"{tenant}{SEPARATOR}{key}"


def scoped_id(tenant: str, local_id: str) -> str:
    """An actor id or a workflow instance id of `tenant`, from the id its clients use (a SKU,
    an order id). Such an id never holds the separator, so it cannot name another tenant's."""
    if SEPARATOR in local_id:
        raise ValueError(f"an id of a tenant holds no {SEPARATOR!r}: {local_id!r}")
    return scoped_key(tenant, local_id)


def split_id(actor_id: str) -> tuple[str, str]:
    """The tenant of an actor or workflow id, and the id its clients use."""
    tenant, separator, local_id = actor_id.partition(SEPARATOR)
    if separator and is_tenant_id(tenant):
        return tenant, local_id
    return DEFAULT_TENANT, actor_id


def id_beside(owner_id: str, local_id: str) -> str:
    """`local_id` in the tenant of the actor or saga `owner_id` (an order's SKUs)."""
    return scoped_id(split_id(owner_id)[0], local_id)


class ScopedDocuments:
    """`Documents` of one tenant: every key is scoped on its way to the store."""

    def __init__(self, store: Documents, tenant: str) -> None:
        self._store, self._tenant = store, tenant

    async def read(self, key: str) -> Versioned:
        return await self._store.read(scoped_key(self._tenant, key))

    async def write(
        self, key: str, document: Document, *, etag: str | None, ttl_seconds: int | None = None
    ) -> None:
        await self._store.write(
            scoped_key(self._tenant, key), document, etag=etag, ttl_seconds=ttl_seconds
        )

    async def put(self, key: str, document: Document, *, ttl_seconds: int | None = None) -> None:
        await self._store.put(scoped_key(self._tenant, key), document, ttl_seconds=ttl_seconds)

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        named = {scoped_key(self._tenant, key): key for key in keys}
        found = await self._store.read_many(list(named))
        return {named[key]: document for key, document in found.items()}

    async def delete(self, key: str) -> None:
        await self._store.delete(scoped_key(self._tenant, key))


def tenant_documents(store: Documents, tenant: str) -> Documents:
    """The default tenant's keys are the store's own: no wrapper, nothing changes for it."""
    return store if tenant == DEFAULT_TENANT else ScopedDocuments(store, tenant)


class ActorInvoker(Protocol):
    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any: ...


class ScopedActors:
    """Calls the actors of one tenant (an `ActorInvoker`): the id a client names is scoped, so
    every method of every actor type reaches that tenant's actor."""

    def __init__(self, invoker: ActorInvoker, tenant: str) -> None:
        self._invoker, self._tenant = invoker, tenant

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any:
        return await self._invoker.invoke(
            actor_type, scoped_id(self._tenant, actor_id), method, request
        )


class ScopedNotifications:
    """Notifications of one tenant: its documents' names are scoped, so two tenants' orders
    with the same id do not overwrite each other's notice."""

    def __init__(self, notifications: Notifications, tenant: str) -> None:
        self._notifications, self._tenant = notifications, tenant

    async def send(self, name: str, document: Mapping[str, Any]) -> None:
        await self._notifications.send(scoped_key(self._tenant, name), document)


def tenant_notifications(notifications: Notifications, tenant: str) -> Notifications:
    if tenant == DEFAULT_TENANT:
        return notifications
    return ScopedNotifications(notifications, tenant)


class ScopedBlobs:
    """Blobs of one tenant: their keys are scoped like its state keys."""

    def __init__(self, blobs: Blobs, tenant: str) -> None:
        self._blobs, self._tenant = blobs, tenant

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._blobs.put(scoped_key(self._tenant, key), data, content_type)

    async def get(self, key: str) -> bytes:
        return await self._blobs.get(scoped_key(self._tenant, key))

    async def delete(self, key: str) -> None:
        await self._blobs.delete(scoped_key(self._tenant, key))


def tenant_blobs(blobs: Blobs, tenant: str) -> Blobs:
    if tenant == DEFAULT_TENANT:
        return blobs
    return ScopedBlobs(blobs, tenant)
