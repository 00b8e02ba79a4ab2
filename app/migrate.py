"""`python -m app.migrate`: moves the read models from the single index documents of earlier
releases (`orders:all`, one list per customer, `catalog:index`) to the time indexes, while the
service runs. It reads the entity documents the old indexes name, adds each to its new indexes
(adding twice changes nothing) and deletes the old documents last, so it can be run again
after a crash, or twice.

It talks to the orders sidecar named by DAPR_GRPC_PORT / DAPR_API_TOKEN, as the app does:

    DAPR_GRPC_PORT=50001 DAPR_API_TOKEN=... python -m app.migrate
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field

from dapr.aio.clients import DaprClient

from app.read_models import CATALOG, CATALOG_SHARDS, ReadModels, catalog_key, order_key
from app.time_index import TimeIndex
from common.settings import ComponentNames, SidecarSettings
from common.state import DaprDocuments, Documents, read_document

OLD_ORDERS = "orders:all"
OLD_CATALOG = "catalog:index"
OLD_CUSTOMER_PREFIX = "orders:customer:"
# Written by earlier releases, read by nothing now.
OLD_UNUSED = ("sagas:finished", "inventory:low-stock")
# Items indexed before: their creation time was never kept, so they sort as the oldest.
UNKNOWN_CREATION = "1970-01-01T00:00:00+00:00"
BATCH = 100


@dataclass
class Migrated:
    orders: int = 0
    items: int = 0
    deleted: list[str] = field(default_factory=list)


async def migrate(store: Documents) -> Migrated:
    models = ReadModels(store)
    migrated = Migrated()
    customers: set[str] = set()
    for batch in _batches(await _members(store, OLD_ORDERS)):
        summaries = await store.read_many([order_key(order_id) for order_id in batch])
        for summary in summaries.values():
            await models.index_order(summary["id"], summary["customer_id"], summary["created_at"])
            customers.add(summary["customer_id"])
            migrated.orders += 1
    catalog = TimeIndex(store, CATALOG, CATALOG_SHARDS)
    for batch in _batches(await _members(store, OLD_CATALOG)):
        items = await store.read_many([catalog_key(sku) for sku in batch])
        for item in items.values():
            await catalog.add(UNKNOWN_CREATION, item["sku"])
            migrated.items += 1
    old = [OLD_ORDERS, OLD_CATALOG, *OLD_UNUSED, *(OLD_CUSTOMER_PREFIX + c for c in customers)]
    for key in old:
        if await read_document(store, key) is not None:
            await store.delete(key)
            migrated.deleted.append(key)
    return migrated


async def _members(store: Documents, key: str) -> list[str]:
    document = await read_document(store, key)
    return list(document["members"]) if document else []


def _batches(members: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(members), BATCH):
        yield members[start : start + BATCH]


async def main() -> Migrated:
    sidecar = SidecarSettings()
    async with DaprClient(sidecar.grpc_address) as dapr:
        return await migrate(DaprDocuments(dapr, ComponentNames().statestore))


if __name__ == "__main__":
    done = asyncio.run(main())
    print(  # noqa: T201
        f"indexed {done.orders} orders and {done.items} items; "
        f"deleted {len(done.deleted)} old index documents"
    )
