"""Time indexes: newest first, idempotent, concurrency-safe, and a page costs the same however
many members the index holds."""

import asyncio
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from app.time_index import InvalidCursor, TimeIndex, decode_cursor, encode_cursor, member_of
from common.memory_state import MemoryDocuments

START = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


async def listed(
    index: TimeIndex, page: int, cursor: str | None = None
) -> tuple[list[str], str | None]:
    """One page of `page` members after `cursor`, as the read models page it."""
    found: list[str] = []
    async for batch in index.newest_first(decode_cursor(cursor) if cursor else None):
        for key in batch:
            found.append(key)
            if len(found) == page:
                return [member_of(k) for k in found], encode_cursor(key)
    return [member_of(k) for k in found], None


async def everything(index: TimeIndex, page: int) -> list[str]:
    members, cursor = await listed(index, page)
    while cursor is not None:
        more, cursor = await listed(index, page, cursor)
        members += more
    return members


def test_members_come_newest_first_across_minutes_days_months_and_years() -> None:
    store = MemoryDocuments()
    index = TimeIndex(store, "i", shards=3)
    times = {
        "a": at(0),
        "b": at(61),
        "c": at(86_400 * 3),
        "d": at(86_400 * 40),
        "e": at(86_400 * 400),
    }

    async def scenario() -> list[str]:
        for member, when in random.Random(1).sample(sorted(times.items()), len(times)):
            await index.add(when, member)
        return await everything(index, page=2)

    assert asyncio.run(scenario()) == ["e", "d", "c", "b", "a"]


def test_adding_again_changes_nothing() -> None:
    store = MemoryDocuments()
    index = TimeIndex(store, "i")

    async def scenario() -> list[str]:
        for _ in range(3):
            await index.add(at(5), "a")
        return await everything(index, page=10)

    assert asyncio.run(scenario()) == ["a"]


def test_concurrent_adds_to_one_bucket_lose_nothing() -> None:
    store = MemoryDocuments()
    index = TimeIndex(store, "i", shards=1)

    async def scenario() -> list[str]:
        await asyncio.gather(*(index.add(at(n * 0.01), f"m{n:03}") for n in range(200)))
        return await everything(index, page=50)

    members = asyncio.run(scenario())
    assert members == [f"m{n:03}" for n in reversed(range(200))]


def test_pages_cross_bucket_boundaries_while_members_are_added() -> None:
    """A member that existed when the listing began is listed once; members added meanwhile
    newer than the cursor are for the next listing from the top."""
    store = MemoryDocuments()
    index = TimeIndex(store, "i", shards=2)

    async def scenario() -> tuple[list[str], list[str]]:
        for n in range(100):
            await index.add(at(n * 30), f"old{n:03}")
        seen, cursor = await listed(index, 7)
        while cursor is not None:
            await asyncio.gather(
                index.add(at(100 * 30 + len(seen)), f"new{len(seen):03}"),
                index.add(at(-1000 - len(seen)), f"older{len(seen):03}"),
            )
            more, cursor = await listed(index, 7, cursor)
            seen += more
        return seen, await everything(index, page=1000)

    seen, final = asyncio.run(scenario())
    old = [m for m in seen if m.startswith("old") and not m.startswith("older")]
    assert old == [f"old{n:03}" for n in reversed(range(100))]
    assert len(seen) == len(set(seen))
    assert set(final) >= set(seen)


def test_a_page_reads_the_same_however_many_members_there_are() -> None:
    async def reads_for_a_page(members: int) -> int:
        store = MemoryDocuments()
        index = TimeIndex(store, "i", shards=2)
        for n in range(members):
            await index.add(at(n * 20), f"m{n}")
        store.reads = 0
        await listed(index, 20)
        return store.reads

    small, large = asyncio.run(reads_for_a_page(50)), asyncio.run(reads_for_a_page(3000))
    assert large <= small


def test_no_document_holds_more_than_a_minute_of_one_shard() -> None:
    """A customer with thousands of orders over weeks: every document stays small."""
    store = MemoryDocuments()
    index = TimeIndex(store, "customer", shards=1)

    async def scenario() -> list[str]:
        for n in range(3000):
            await index.add(at(n * 600), f"o{n}")
        return await everything(index, page=100)

    members = asyncio.run(scenario())
    assert len(members) == 3000 and members[0] == "o2999" and members[-1] == "o0"
    largest = max(len(json.dumps(doc)) for doc in store.documents.values())
    assert largest < 1500 * 10  # a day lists at most 1,440 minutes


def test_a_cursor_that_was_not_given_out_is_refused() -> None:
    for cursor in ("not base64!", encode_cursor("garbage"), encode_cursor("")):
        with pytest.raises(InvalidCursor):
            decode_cursor(cursor)
