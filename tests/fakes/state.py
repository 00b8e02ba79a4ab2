"""A state store in memory with the ETag rules of a Dapr state store: a write with an ETag
lands only if the key still has it, a write without one only if the key holds nothing."""

import asyncio
import copy
import itertools
from collections.abc import Mapping, Sequence

from common.state import Document, Versioned, WriteConflict


class MemoryDocuments:
    """Every call lets other tasks run first, as a call through the sidecar would, so
    concurrent read-modify-writes interleave and meet their conflicts."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[Document, str]] = {}
        self.reads = 0
        self._etags = itertools.count(1)

    async def read(self, key: str) -> Versioned:
        await asyncio.sleep(0)
        self.reads += 1
        found = self.documents.get(key)
        if found is None:
            return Versioned(None, None)
        return Versioned(copy.deepcopy(found[0]), found[1])

    async def write(
        self, key: str, document: Document, *, etag: str | None, ttl_seconds: int | None = None
    ) -> None:
        await asyncio.sleep(0)
        current = self.documents.get(key)
        if (current[1] if current else None) != etag:
            raise WriteConflict(key)
        self.documents[key] = (copy.deepcopy(document), str(next(self._etags)))

    async def put(self, key: str, document: Document, *, ttl_seconds: int | None = None) -> None:
        self.documents[key] = (copy.deepcopy(document), str(next(self._etags)))

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        await asyncio.sleep(0)
        self.reads += 1
        return {key: copy.deepcopy(self.documents[key][0]) for key in keys if key in self.documents}

    async def delete(self, key: str) -> None:
        self.documents.pop(key, None)
