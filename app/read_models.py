"""Read models kept by event subscribers: one document per entity, and newest-first indexes.

Entity documents only move to a higher version (compare-and-swap on the ETag), so a late or
redelivered event cannot take one back. Indexes are time indexes (app/time_index.py): adding
to one and reading a page of one cost the same however many members it holds.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from actors.messages import ItemView, OrderView
from app.time_index import ListedMinutes, TimeIndex, decode_cursor, encode_cursor, member_of
from common.state import Document, Documents, compare_and_swap, read_document

ALL_ORDERS = "index:orders"
CATALOG = "index:catalog"
LOW_STOCK = "index:alerts:low-stock"
DIGEST_CURSOR = "digest:low-stock"
# A digest lists at most this many alerts (the newest); older ones wait for the next.
DIGEST_LIMIT = 500
# Concurrent order events of the whole service spread over this many buckets a minute.
ALL_ORDERS_SHARDS = 8
CATALOG_SHARDS = 2
# A filtered listing stops after this many batches of an index and answers a cursor to go on.
MAX_BATCHES_PER_PAGE = 12


def order_key(order_id: str) -> str:
    return f"orders:summary:{order_id}"


def catalog_key(sku: str) -> str:
    return f"catalog:item:{sku}"


def customer_index(customer_id: str) -> str:
    return f"index:orders:customer:{customer_id}"


def _summary(order: OrderView) -> Document:
    return {
        "id": order["id"],
        "customer_id": order["customer_id"],
        "status": order["status"],
        "status_reason": order["status_reason"],
        "total_cents": order["total_cents"],
        "created_at": order["created_at"],
    }


def _mark_indexed(current: Document | None) -> Document | None:
    return None if current is None or current.get("indexed") else {**current, "indexed": True}


def low_stock_key(sku: str) -> str:
    return f"alerts:low-stock:{sku}"


@dataclass(frozen=True)
class Page:
    documents: list[Document]
    next_cursor: str | None


class ReadModels:
    def __init__(self, store: Documents) -> None:
        self._store = store
        self._listed = ListedMinutes()

    def _index(self, name: str, shards: int = 1) -> TimeIndex:
        return TimeIndex(self._store, name, shards, self._listed)

    async def item_created(self, item: ItemView, version: int, at: str) -> None:
        await self.item_changed(item, version)
        await self._index(CATALOG, CATALOG_SHARDS).add(at, item["sku"])

    async def item_changed(self, item: ItemView, version: int) -> None:
        await self.put_if_newer(catalog_key(item["sku"]), dict(item), version)

    async def order_changed(self, order: OrderView) -> None:
        """The order's summary, and its place in the lists by when it was placed: written at
        the first of its events to arrive, then marked on the summary, so its later events
        touch only the summary (a crash before the mark means indexing again: harmless)."""
        key = order_key(order["id"])
        version = len(order["history"])
        indexed = False

        def decide(current: Document | None) -> Document | None:
            nonlocal indexed
            indexed = bool(current and current.get("indexed"))
            if current is not None and current["version"] >= version:
                return None
            return {**_summary(order), "version": version, "indexed": indexed}

        await compare_and_swap(self._store, key, decide)
        if not indexed:
            await self.index_order(order["id"], order["customer_id"], order["created_at"])
            await compare_and_swap(self._store, key, _mark_indexed)

    async def index_order(self, order_id: str, customer_id: str, created_at: str) -> None:
        """In everyone's list and its customer's, by when it was placed."""
        await self._index(ALL_ORDERS, ALL_ORDERS_SHARDS).add(created_at, order_id)
        await self._index(customer_index(customer_id)).add(created_at, order_id)

    async def low_stock(self, sku: str, alert: Mapping[str, Any], version: int, at: str) -> None:
        """The latest alert per item, and every alert in time order for the digest."""
        await self.put_if_newer(low_stock_key(sku), dict(alert), version)
        await self._index(LOW_STOCK).add(at, f"{sku}:{version}")

    async def low_stock_since_digest(self) -> tuple[list[Document], str | None]:
        """Alerts newer than the last digest, newest first, and the newest one's position."""
        cursor = await read_document(self._store, DIGEST_CURSOR)
        last = cursor["newest"] if cursor else ""
        found: list[str] = []
        async for batch in self._index(LOW_STOCK).newest_first():
            newer = [key for key in batch if key > last]
            found += newer
            if len(newer) < len(batch) or len(found) >= DIGEST_LIMIT:
                break
        found = found[:DIGEST_LIMIT]
        alerts = [{"at": key.partition("|")[0], "alert": member_of(key)} for key in found]
        return alerts, (found[0] if found else None)

    async def digest_sent(self, newest: str) -> None:
        def advance(current: Document | None) -> Document | None:
            if current is not None and current["newest"] >= newest:
                return None
            return {"newest": newest}

        await compare_and_swap(self._store, DIGEST_CURSOR, advance)

    async def dead_letter(self, event_id: str, event: Mapping[str, Any]) -> None:
        await self.put_if_newer(f"deadletter:{event_id}", {"event": dict(event)}, version=1)

    async def catalog_page(self, limit: int, cursor: str | None) -> Page:
        return await self._page(self._index(CATALOG, CATALOG_SHARDS), catalog_key, limit, cursor)

    async def orders_page(
        self, customer_id: str | None, status: str | None, limit: int, cursor: str | None
    ) -> Page:
        """A customer's orders, or everyone's (customer_id None), newest first."""
        index = (
            self._index(ALL_ORDERS, ALL_ORDERS_SHARDS)
            if customer_id is None
            else self._index(customer_index(customer_id))
        )

        def keep(order: Document) -> bool:
            return status is None or order["status"] == status

        return await self._page(index, order_key, limit, cursor, keep)

    async def get(self, key: str) -> Document | None:
        return await read_document(self._store, key)

    async def put_if_newer(self, key: str, document: Document, version: int) -> bool:
        """Stores `document` unless the stored one has the same or a higher version."""

        def decide(current: Document | None) -> Document | None:
            if current is not None and current["version"] >= version:
                return None
            return {**document, "version": version}

        return await compare_and_swap(self._store, key, decide) is not None

    async def _page(
        self,
        index: TimeIndex,
        key_of: Callable[[str], str],
        limit: int,
        cursor: str | None,
        keep: Callable[[Document], bool] = lambda _: True,
    ) -> Page:
        """Documents of the members older than `cursor`, newest first, filtered by `keep`.
        A filter that keeps few stops after a bounded scan and answers where it got to."""
        found: list[Document] = []
        scanned = 0
        async for batch in index.newest_first(decode_cursor(cursor) if cursor else None):
            # A busy minute holds hundreds of members: documents are read a page's worth at a
            # time, so a full page reads no more of them than it returns.
            for start in range(0, len(batch), limit):
                positions = batch[start : start + limit]
                documents = await self._store.read_many([key_of(member_of(k)) for k in positions])
                for position in positions:
                    document = documents.get(key_of(member_of(position)))
                    if document is not None and keep(document):
                        found.append(document)
                        if len(found) == limit:
                            return Page(found, encode_cursor(position))
            scanned += 1
            if scanned == MAX_BATCHES_PER_PAGE and batch:
                return Page(found, encode_cursor(batch[-1]))
        return Page(found, None)
