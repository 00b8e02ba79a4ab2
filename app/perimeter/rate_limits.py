"""Per-client rate limits (moving windows, in this process's memory) answering 429 with a
Retry-After. Each replica counts on its own, so N replicas let N times the limit through."""

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from app.settings import PerimeterSettings


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    item: RateLimitItem


class RateLimits:
    """Strict limits where passwords are guessed or accounts made, a general one elsewhere."""

    def __init__(self, settings: PerimeterSettings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self.login = Limit("login", parse(settings.login_rate_limit))
        self.register = Limit("register", parse(settings.register_rate_limit))
        self.general = Limit("general", parse(settings.general_rate_limit))

    async def hit(self, limit: Limit, client: str) -> None:
        """Counts one request of `client`; raises RateLimited when over the limit."""
        if await self._limiter.hit(limit.item, limit.name, client):
            return
        stats = await self._limiter.get_window_stats(limit.item, limit.name, client)
        raise RateLimited(max(1, math.ceil(stats.reset_time - time.time())))
