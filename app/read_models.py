"""Read models kept by event subscribers: one document per entity plus a sorted index.

Every write is ETag-checked (first-write concurrency, insert-only when the key is new) and
retried on a conflict, so concurrent events never lose an update; a document only moves to a
higher version, so a late or redelivered event cannot take it back.
"""

import json
from collections.abc import Callable
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import Concurrency, StateOptions

FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
MAX_ATTEMPTS = 50
_CONFLICT_CODES = {"ABORTED", "FAILED_PRECONDITION"}


class ReadModels:
    def __init__(self, dapr: DaprClient, store: str) -> None:
        self._dapr = dapr
        self._store = store

    async def put_if_newer(self, key: str, document: dict[str, Any], version: int) -> bool:
        """Stores `document` unless the stored one has the same or a higher version."""

        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            if current is not None and current["version"] >= version:
                return None
            return {**document, "version": version}

        return await self._update(key, change)

    async def add_to_index(self, index: str, member: str) -> bool:
        def change(current: dict[str, Any] | None) -> dict[str, Any] | None:
            members: list[str] = current["members"] if current else []
            if member in members:
                return None
            return {"members": sorted([*members, member])}

        return await self._update(index, change)

    async def get(self, key: str) -> dict[str, Any] | None:
        item = await self._dapr.get_state(self._store, key)
        return json.loads(item.data) if item.data else None

    async def page(
        self,
        index: str,
        key_of: Callable[[str], str],
        *,
        limit: int,
        cursor: str | None,
        keep: Callable[[dict[str, Any]], bool] = lambda _: True,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Members after `cursor` in index order, their documents filtered by `keep`."""
        members: list[str] = ((await self.get(index)) or {"members": []})["members"]
        after = [m for m in members if cursor is None or m > cursor]
        found: list[dict[str, Any]] = []
        for start in range(0, len(after), limit):
            batch = after[start : start + limit]
            items = await self._dapr.get_bulk_state(self._store, [key_of(m) for m in batch])
            documents = {item.key: json.loads(item.data) for item in items.items if item.data}
            for member in batch:
                document = documents.get(key_of(member))
                if document is not None and keep(document):
                    found.append(document)
                    if len(found) == limit:
                        more = member != after[-1]
                        return found, member if more else None
        return found, None

    async def _update(
        self, key: str, change: Callable[[dict[str, Any] | None], dict[str, Any] | None]
    ) -> bool:
        for _ in range(MAX_ATTEMPTS):
            item = await self._dapr.get_state(self._store, key)
            current = json.loads(item.data) if item.data else None
            new = change(current)
            if new is None:
                return False
            try:
                await self._dapr.save_state(
                    self._store,
                    key,
                    json.dumps(new),
                    etag=item.etag or None,
                    options=FIRST_WRITE,
                )
                return True
            except DaprGrpcError as error:
                if error.code().name not in _CONFLICT_CODES:  # type: ignore[no-untyped-call]
                    raise
        raise RuntimeError(f"gave up on {key} after {MAX_ATTEMPTS} conflicting writes")
