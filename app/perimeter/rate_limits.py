"""Per-client rate limits answering 429 with a Retry-After.

The strict limits (signing in, registering) guard against guessing and abuse, so they hold
for the service as a whole: each client's count for the current window is a small document in
the state store, shared by every replica (a fixed window: at a window's edge a client may get
up to twice the limit in a short span). The general limit protects each process from one
noisy caller and is counted in the process's memory (a fixed window too: a moving one made
the storage sort each client's hits on a worker thread after every request), so N replicas
let N times that limit through; it is not meant as a security control.
"""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter

from app.settings import PerimeterSettings
from common.keys import opaque
from common.state import Document, Documents, compare_and_swap


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    item: RateLimitItem
    # Counted in the state store, across replicas; else in this process.
    shared: bool


class RateLimits:
    """Strict limits where passwords are guessed or accounts made, a general one elsewhere."""

    def __init__(self, settings: PerimeterSettings, store: Documents) -> None:
        self._limiter = FixedWindowRateLimiter(MemoryStorage())
        self._store = store
        self.login = Limit("login", parse(settings.login_rate_limit), shared=True)
        self.register = Limit("register", parse(settings.register_rate_limit), shared=True)
        self.general = Limit("general", parse(settings.general_rate_limit), shared=False)

    async def hit(self, limit: Limit, client: str) -> None:
        """Counts one request of `client`; raises RateLimited when over the limit."""
        if limit.shared:
            await self._hit_shared(limit, client)
        elif not await self._limiter.hit(limit.item, limit.name, client):
            stats = await self._limiter.get_window_stats(limit.item, limit.name, client)
            raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))

    async def _hit_shared(self, limit: Limit, client: str) -> None:
        window = limit.item.get_expiry()
        now = time.time()
        started = int(now // window) * window
        # The client part is what a caller typed (an account name): a digest is a safe key.
        key = f"rate|{limit.name}|{opaque(client)}|{started}"
        allowed = limit.item.amount

        def count(current: Document | None) -> Document | None:
            hits = (current or {"hits": 0})["hits"]
            return None if hits >= allowed else {"hits": hits + 1}

        counted = await compare_and_swap(self._store, key, count, ttl_seconds=window)
        if counted is None:
            raise RateLimited(max(1, math.ceil(started + window - now)))
