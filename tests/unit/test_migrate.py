"""The move from the single index documents of earlier releases to the time indexes."""

import asyncio

from app.migrate import migrate
from app.read_models import ReadModels
from common.memory_state import MemoryDocuments


def old_layout(store: MemoryDocuments, orders: int) -> None:
    def put(key: str, document: dict[str, object]) -> None:
        asyncio.run(store.put(key, document))

    ids = [f"o{n:04}" for n in range(orders)]
    for n, order_id in enumerate(ids):
        put(
            f"orders:summary:{order_id}",
            {
                "id": order_id,
                "customer_id": f"c{n % 3}",
                "status": "confirmed",
                "status_reason": None,
                "total_cents": 100,
                "created_at": f"2026-03-{1 + n % 28:02}T10:{n % 60:02}:00+00:00",
                "version": 2,
            },
        )
    put("orders:all", {"members": ids})
    for customer in ("c0", "c1", "c2"):
        put(f"orders:customer:{customer}", {"members": ids[int(customer[1]) :: 3]})
    put(
        "catalog:item:tea",
        {
            "sku": "tea",
            "name": "Tea",
            "price_cents": 1,
            "available": 1,
            "reserved": 0,
            "version": 1,
        },
    )
    put("catalog:index", {"members": ["tea"]})
    put("sagas:finished", {"members": []})


def test_old_indexes_become_time_indexes_and_go_away() -> None:
    store = MemoryDocuments()
    old_layout(store, orders=250)
    models = ReadModels(store)

    async def scenario() -> tuple[int, int, list[str], list[str]]:
        first = await migrate(store)
        again = await migrate(store)
        everyone = await models.orders_page(None, None, 100, None)
        c1 = await models.orders_page("c1", None, 100, None)
        items = await models.catalog_page(10, None)
        return (
            first.orders,
            again.orders,
            [d["id"] for d in everyone.documents + c1.documents],
            [d["sku"] for d in items.documents],
        )

    first, again, listed, skus = asyncio.run(scenario())
    assert (first, again) == (250, 0)
    assert len(listed) == 100 + 83 and all(o.startswith("o") for o in listed)
    assert skus == ["tea"]
    assert not {"orders:all", "catalog:index", "sagas:finished", "orders:customer:c1"} & set(
        store.documents
    )
