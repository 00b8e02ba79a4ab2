"""JSON documents in a Dapr state store, with optimistic concurrency.

`Documents` is the small interface the services use (read, write, bulk read, delete); the
Dapr implementation goes through the sidecar, and the in-process tests use a fake with the
same ETag rules. On top of it: compare-and-swap (read the value and its ETag, decide, write
back only if the ETag still matches; insert-only when the key was absent) and insert-once.
"""

import asyncio
import json
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprInternalError
from dapr.clients.grpc._state import Concurrency, StateOptions

Document = dict[str, Any]
MAX_ATTEMPTS = 50
MAX_BACKOFF = 0.05
_FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
_CONFLICT_CODES = {grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION}


class WriteConflict(Exception):
    """Another writer changed (or created) the key since it was read."""


@dataclass(frozen=True)
class Versioned:
    document: Document | None
    etag: str | None


class Documents(Protocol):
    """One state store, seen as JSON documents under string keys."""

    async def read(self, key: str) -> Versioned: ...

    async def write(
        self, key: str, document: Document, *, etag: str | None, ttl_seconds: int | None = None
    ) -> None:
        """Writes only if the key still has `etag` (None: only if the key holds nothing);
        raises WriteConflict otherwise."""

    async def put(self, key: str, document: Document, *, ttl_seconds: int | None = None) -> None:
        """Writes whatever the key holds."""

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        """The documents of the keys that hold one."""

    async def delete(self, key: str) -> None: ...


async def read_document(store: Documents, key: str) -> Document | None:
    return (await store.read(key)).document


async def compare_and_swap(
    store: Documents,
    key: str,
    decide: Callable[[Document | None], Document | None],
    ttl_seconds: int | None = None,
) -> Document | None:
    """Stores what `decide` makes of the current document; None from `decide` writes nothing.
    Writers that lost a race back off a little, at random, so a crowd on one key thins out.

    Returns the stored document, or None when nothing was written.
    """
    for attempt in range(MAX_ATTEMPTS):
        current = await store.read(key)
        decided = decide(current.document)
        if decided is None:
            return None
        try:
            await store.write(key, decided, etag=current.etag, ttl_seconds=ttl_seconds)
            return decided
        except WriteConflict:
            await asyncio.sleep(random.uniform(0, min(MAX_BACKOFF, 0.001 * 2**attempt)))
    raise RuntimeError(f"gave up on {key!r} after {MAX_ATTEMPTS} conflicting writes")


async def insert_document(
    store: Documents, key: str, document: Document, ttl_seconds: int | None = None
) -> bool:
    """Writes `document` only if `key` holds nothing; False when it already did.

    One insert-only write is what makes a claim (an e-mail address, a refresh token's use)
    atomic across concurrent callers and app replicas.
    """
    try:
        await store.write(key, document, etag=None, ttl_seconds=ttl_seconds)
    except WriteConflict:
        return False
    return True


class DaprDocuments:
    """`Documents` over the sidecar's state API (the SDK's gRPC client)."""

    def __init__(self, dapr: DaprClient, store: str) -> None:
        self._dapr = dapr
        self._store = store

    async def read(self, key: str) -> Versioned:
        item = await self._dapr.get_state(self._store, key)
        return Versioned(json.loads(item.data) if item.data else None, item.etag or None)

    async def write(
        self, key: str, document: Document, *, etag: str | None, ttl_seconds: int | None = None
    ) -> None:
        try:
            await self._dapr.save_state(
                self._store,
                key,
                json.dumps(document),
                etag=etag,
                options=_FIRST_WRITE,
                state_metadata=_ttl(ttl_seconds),
            )
        except DaprInternalError as error:
            if await self._lost_race(key, etag, error):
                raise WriteConflict(key) from error
            raise

    async def put(self, key: str, document: Document, *, ttl_seconds: int | None = None) -> None:
        await self._dapr.save_state(
            self._store, key, json.dumps(document), state_metadata=_ttl(ttl_seconds)
        )

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        if not keys:
            return {}
        items = await self._dapr.get_bulk_state(self._store, list(keys))
        return {item.key: json.loads(item.data) for item in items.items if item.data}

    async def delete(self, key: str) -> None:
        await self._dapr.delete_state(self._store, key)

    async def _lost_race(self, key: str, etag: str | None, error: DaprInternalError) -> bool:
        """Whether a write failed because another writer got there first.

        An update with an ETag says so with its status code (the async client wraps the gRPC
        error). An insert-only write does not: Redis and PostgreSQL answer INTERNAL, so a
        failed insert counts as a lost race when the key exists now.
        """
        if etag:
            cause = error.__cause__
            return isinstance(cause, grpc.RpcError) and cause.code() in _CONFLICT_CODES
        return (await self.read(key)).document is not None


def _ttl(ttl_seconds: int | None) -> dict[str, str]:
    return {"ttlInSeconds": str(ttl_seconds)} if ttl_seconds is not None else {}
