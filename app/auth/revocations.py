"""Revoked tokens, kept through the sidecar with a TTL so a revocation survives a restart and
is forgotten once the tokens it covers would have expired anyway.

Every authenticated request asks whether its user's tokens were revoked; each process keeps
the answer for `cache_seconds` (1 s by default, 0 to ask every time), so a client's burst of
requests costs one read. A revocation made here applies here at once; another replica sees
it within that time.
"""

import time

from common.state import Documents, insert_document, read_document


class Revocations:
    def __init__(self, store: Documents, ttl_seconds: int, cache_seconds: float = 1.0) -> None:
        self._store = store
        # As long as the longest-lived token, a refresh token.
        self._ttl = ttl_seconds
        self._cache_seconds = cache_seconds
        self._known: dict[str, tuple[float | None, float]] = {}

    async def revoke_all(self, user_id: str, before: float) -> None:
        """Every token of the user issued before `before` (seconds since the epoch) is refused."""
        await self._store.put(_revoked_key(user_id), {"before": before}, ttl_seconds=self._ttl)
        self._known[user_id] = (before, time.monotonic() + self._cache_seconds)

    async def revoked_before(self, user_id: str) -> float | None:
        now = time.monotonic()
        known = self._known.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        document = await read_document(self._store, _revoked_key(user_id))
        before = float(document["before"]) if document else None
        if self._cache_seconds > 0:
            if len(self._known) > MAX_CACHED:
                self._known = {u: k for u, k in self._known.items() if k[1] > now}
            self._known[user_id] = (before, now + self._cache_seconds)
        return before

    async def use_refresh_token(self, token_id: str) -> bool:
        """Marks a refresh token as spent; False when it was spent already (a replay)."""
        return await insert_document(
            self._store, f"refresh-used|{token_id}", {"used": True}, self._ttl
        )


# Past this many users the expired answers are dropped.
MAX_CACHED = 10_000


def _revoked_key(user_id: str) -> str:
    return f"tokens-revoked|{user_id}"
