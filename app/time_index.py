"""A newest-first index of members by time, kept as small documents in the state store.

Members sit in minute buckets, split over a few shards by a hash of the member, so adding one
reads and writes one bucket, and concurrent adds mostly write different keys. A calendar of
small directory documents (years → months → days → minutes) lists the non-empty buckets, so
a listing reads only the buckets of the page it returns, however long ago the last member was
added. No document grows with the number of members: a bucket holds what one shard received
in one minute, a day at most 1,440 minutes; only the list of years grows, by one a year.

Adding is idempotent: a member always lands in the same bucket (its time and its hash say
which), and a bucket is a sorted set. Writes are compare-and-swap on the ETag, so concurrent
adds never lose one another. Directory entries are written before the bucket, so a crash in
between leaves at most an empty minute listed, which a listing skips.

Keys: `<name>` (years), `<name>|2026` (months), `<name>|2026-12` (days), `<name>|2026-12-02`
(minutes), `<name>|2026-12-02T05:36|<shard>` (members, as `<UTC time>|<member>`).
"""

import base64
import zlib
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from common.state import Document, Documents, compare_and_swap

# Members are read in batches of this many minutes, doubled while a page is not full.
FIRST_BATCH_MINUTES = 2
MAX_BATCH_MINUTES = 64
# How many listed minutes one process remembers, so it does not read the calendar again.
KNOWN_MINUTES = 20_000
# The calendar: each level's field, where its entry sits in a sort key, and how it joins.
_LEVELS = (
    ("years", 0, 4, ""),
    ("months", 5, 7, "-"),
    ("days", 8, 10, "-"),
    ("minutes", 11, 16, "T"),
)


class InvalidCursor(ValueError):
    pass


def sort_key(at: str, member: str) -> str:
    """Fixed-width UTC time first, so keys sort by time, then by member."""
    moment = datetime.fromisoformat(at)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}|{member}"


def member_of(key: str) -> str:
    return key.partition("|")[2]


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        sort_key(key.partition("|")[0], "")
    except ValueError as error:
        raise InvalidCursor("the cursor is not one this list gave out") from error
    return key


class ListedMinutes:
    """The minutes this process knows the calendar lists, shared by every index it writes."""

    def __init__(self, size: int = KNOWN_MINUTES) -> None:
        self._size = size
        self._known: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        if key in self._known:
            self._known.move_to_end(key)
            return True
        return False

    def add(self, key: str) -> None:
        self._known[key] = None
        if len(self._known) > self._size:
            self._known.popitem(last=False)


class TimeIndex:
    def __init__(
        self, store: Documents, name: str, shards: int = 1, listed: ListedMinutes | None = None
    ) -> None:
        self._store = store
        self.name = name
        self._shards = shards
        self._listed = listed if listed is not None else ListedMinutes()

    async def add(self, at: str, member: str) -> None:
        key = sort_key(at, member)
        minute = key[:16]
        await self._list_minute(minute)
        shard = zlib.crc32(member.encode()) % self._shards
        await compare_and_swap(self._store, self._bucket(minute, shard), _add_to("members", key))

    async def newest_first(self, before: str | None = None) -> AsyncIterator[list[str]]:
        """Batches of sort keys, newest first, all older than the key `before`."""
        minutes: list[str] = []
        batch = FIRST_BATCH_MINUTES
        async for minute in self._minutes_newest_first(before):
            minutes.append(minute)
            if len(minutes) == batch:
                yield await self._members(minutes, before)
                minutes, batch = [], min(batch * 2, MAX_BATCH_MINUTES)
        if minutes:
            yield await self._members(minutes, before)

    async def _members(self, minutes: list[str], before: str | None) -> list[str]:
        keys = [self._bucket(m, shard) for m in minutes for shard in range(self._shards)]
        buckets = await self._store.read_many(keys)
        found = (key for bucket in buckets.values() for key in bucket["members"])
        return sorted((key for key in found if before is None or key < before), reverse=True)

    async def _minutes_newest_first(self, before: str | None) -> AsyncIterator[str]:
        """Every listed minute at or before the minute of `before`, newest first."""
        async for minute in self._walk(self.name, "", 0, before[:16] if before else None):
            yield minute

    async def _walk(self, key: str, path: str, level: int, limit: str | None) -> AsyncIterator[str]:
        """One level of the calendar, newest first; `limit` bounds only its newest edge."""
        field, start, end, joiner = _LEVELS[level]
        bound = limit[start:end] if limit is not None else None
        document = (await self._store.read(key)).document
        entries: list[str] = document[field] if document else []
        for entry in sorted((e for e in entries if bound is None or e <= bound), reverse=True):
            child = f"{path}{joiner}{entry}"
            if level == len(_LEVELS) - 1:
                yield child
                continue
            edge = limit if entry == bound else None
            async for minute in self._walk(f"{self.name}|{child}", child, level + 1, edge):
                yield minute

    async def _list_minute(self, minute: str) -> None:
        """Makes sure the calendar lists `minute`, writing only the levels that miss it."""
        if f"{self.name}|{minute}" in self._listed:
            return
        year, month, day = minute[:4], minute[:7], minute[:10]
        levels = [
            (self.name, "years", year),
            (f"{self.name}|{year}", "months", month[5:]),
            (f"{self.name}|{month}", "days", day[8:]),
            (f"{self.name}|{day}", "minutes", minute[11:]),
        ]
        current = await self._store.read_many([key for key, _, _ in levels])
        for key, field, entry in levels:
            if entry not in (current.get(key) or {}).get(field, []):
                await compare_and_swap(self._store, key, _add_to(field, entry))
        self._listed.add(f"{self.name}|{minute}")

    def _bucket(self, minute: str, shard: int) -> str:
        return f"{self.name}|{minute}|{shard}"


def _add_to(field: str, entry: str) -> Callable[[Document | None], Document | None]:
    def decide(current: Document | None) -> Document | None:
        entries: list[str] = current[field] if current else []
        if entry in entries:
            return None
        return {field: sorted([*entries, entry])}

    return decide
