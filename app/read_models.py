"""Read models kept by event subscribers: one document per entity plus sorted indexes.

Writes are compare-and-swap on the ETag (app/state.py), so concurrent events never lose an
update; a document only moves to a higher version, so a late or redelivered event cannot take
it back.
"""

import json
from collections.abc import Callable
from typing import Any

from dapr.aio.clients import DaprClient

from app.state import Document, compare_and_swap, read_document


class ReadModels:
    def __init__(self, dapr: DaprClient, store: str) -> None:
        self._dapr = dapr
        self._store = store

    async def put_if_newer(self, key: str, document: Document, version: int) -> bool:
        """Stores `document` unless the stored one has the same or a higher version."""

        def decide(current: Document | None) -> Document | None:
            if current is not None and current["version"] >= version:
                return None
            return {**document, "version": version}

        return await compare_and_swap(self._dapr, self._store, key, decide) is not None

    async def add_to_index(self, index: str, member: str) -> bool:
        def decide(current: Document | None) -> Document | None:
            members: list[str] = current["members"] if current else []
            return None if member in members else {"members": sorted([*members, member])}

        return await compare_and_swap(self._dapr, self._store, index, decide) is not None

    async def remove_from_index(self, index: str, members: set[str]) -> None:
        def decide(current: Document | None) -> Document | None:
            kept = [m for m in (current or {"members": []})["members"] if m not in members]
            return (
                None
                if current is None or len(kept) == len(current["members"])
                else {"members": kept}
            )

        await compare_and_swap(self._dapr, self._store, index, decide)

    async def get(self, key: str) -> Document | None:
        return await read_document(self._dapr, self._store, key)

    async def members(self, index: str) -> list[str]:
        members: list[str] = ((await self.get(index)) or {"members": []})["members"]
        return members

    async def page(
        self,
        index: str,
        key_of: Callable[[str], str],
        *,
        limit: int,
        cursor: str | None,
        keep: Callable[[Document], bool] = lambda _: True,
    ) -> tuple[list[Document], str | None]:
        """Documents of the members after `cursor`, in index order, filtered by `keep`."""
        after = [m for m in await self.members(index) if cursor is None or m > cursor]
        found: list[Document] = []
        for start in range(0, len(after), limit):
            batch = after[start : start + limit]
            items = await self._dapr.get_bulk_state(self._store, [key_of(m) for m in batch])
            documents = {item.key: json.loads(item.data) for item in items.items if item.data}
            for member in batch:
                document: Any = documents.get(key_of(member))
                if document is not None and keep(document):
                    found.append(document)
                    if len(found) == limit:
                        return found, (member if member != after[-1] else None)
        return found, None
