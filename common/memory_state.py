"""`Documents` in memory, with the rules of a Dapr state store: a write with an ETag lands only
if the key still has it, a write without one only if the key holds nothing, and a TTL makes a
key hold nothing once it has passed. The in-process tests run the service over it, and the
benchmarks lay out read models in it before they write them to the real store."""

import asyncio
import copy
import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from common.state import Document, Versioned, WriteConflict


@dataclass(frozen=True)
class _Entry:
    document: Document
    etag: str
    expires_at: float | None

    @property
    def alive(self) -> bool:
        return self.expires_at is None or time.monotonic() < self.expires_at


class MemoryDocuments:
    """Every call lets other tasks run first, as a call through the sidecar would, so
    concurrent read-modify-writes interleave and meet their conflicts."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self.reads = 0
        self._etags = itertools.count(1)

    @property
    def documents(self) -> dict[str, Document]:
        """Everything held now, by key."""
        return {key: entry.document for key, entry in self._entries.items() if entry.alive}

    async def read(self, key: str) -> Versioned:
        await asyncio.sleep(0)
        self.reads += 1
        entry = self._live(key)
        return (
            Versioned(copy.deepcopy(entry.document), entry.etag) if entry else Versioned(None, None)
        )

    async def write(
        self, key: str, document: Document, *, etag: str | None, ttl_seconds: int | None = None
    ) -> None:
        await asyncio.sleep(0)
        current = self._live(key)
        if (current.etag if current else None) != etag:
            raise WriteConflict(key)
        self._store(key, document, ttl_seconds)

    async def put(self, key: str, document: Document, *, ttl_seconds: int | None = None) -> None:
        self._store(key, document, ttl_seconds)

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        await asyncio.sleep(0)
        self.reads += 1
        found = {key: self._live(key) for key in keys}
        return {key: copy.deepcopy(entry.document) for key, entry in found.items() if entry}

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def _live(self, key: str) -> _Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.alive else None

    def _store(self, key: str, document: Document, ttl_seconds: int | None) -> None:
        expires = time.monotonic() + ttl_seconds if ttl_seconds is not None else None
        self._entries[key] = _Entry(copy.deepcopy(document), str(next(self._etags)), expires)
