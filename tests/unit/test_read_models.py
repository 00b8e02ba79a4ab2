"""Listing orders: a page reads no more order documents than it returns, however busy the
minutes it comes from."""

import asyncio
from collections.abc import Mapping, Sequence

from app.read_models import ALL_ORDERS_SHARDS, ReadModels, order_key
from common.memory_state import MemoryDocuments
from common.state import Document

NOW = "2026-12-02T10:00:30+00:00"


class CountedKeys(MemoryDocuments):
    def __init__(self) -> None:
        super().__init__()
        self.keys_read = 0

    async def read_many(self, keys: Sequence[str]) -> Mapping[str, Document]:
        self.keys_read += len(keys)
        return await super().read_many(keys)


def test_a_page_from_a_busy_minute_reads_only_a_page_of_orders() -> None:
    store = CountedKeys()
    models = ReadModels(store)

    async def scenario() -> list[str]:
        for n in range(400):
            order_id = f"o{n:03}"
            await store.put(order_key(order_id), {"id": order_id, "status": "confirmed"})
            await models.index_order(order_id, f"c{n % 2}", NOW)
        store.keys_read = 0
        page = await models.orders_page(None, None, limit=20, cursor=None)
        return [document["id"] for document in page.documents]

    listed = asyncio.run(scenario())
    assert listed == [f"o{n:03}" for n in range(399, 379, -1)]
    # The minute's buckets, then the 20 orders of the page.
    assert store.keys_read <= ALL_ORDERS_SHARDS + 20


def test_a_filtered_page_reads_on_until_it_is_full() -> None:
    store = CountedKeys()
    models = ReadModels(store)

    async def scenario() -> tuple[list[str], str | None]:
        for n in range(100):
            order_id = f"o{n:03}"
            status = "cancelled" if n % 10 == 0 else "confirmed"
            await store.put(order_key(order_id), {"id": order_id, "status": status})
            await models.index_order(order_id, "c1", NOW)
        page = await models.orders_page("c1", "cancelled", limit=5, cursor=None)
        return [document["id"] for document in page.documents], page.next_cursor

    listed, cursor = asyncio.run(scenario())
    assert listed == ["o090", "o080", "o070", "o060", "o050"]
    assert cursor is not None
