"""Revoked tokens, kept through the sidecar with a TTL so a revocation survives a restart and
is forgotten once the tokens it covers would have expired anyway."""

from common.state import Documents, insert_document, read_document


class Revocations:
    def __init__(self, store: Documents, ttl_seconds: int) -> None:
        self._store = store
        # As long as the longest-lived token, a refresh token.
        self._ttl = ttl_seconds

    async def revoke_all(self, user_id: str, before: float) -> None:
        """Every token of the user issued before `before` (seconds since the epoch) is refused."""
        await self._store.put(_revoked_key(user_id), {"before": before}, ttl_seconds=self._ttl)

    async def revoked_before(self, user_id: str) -> float | None:
        document = await read_document(self._store, _revoked_key(user_id))
        return float(document["before"]) if document else None

    async def use_refresh_token(self, token_id: str) -> bool:
        """Marks a refresh token as spent; False when it was spent already (a replay)."""
        return await insert_document(
            self._store, f"refresh-used|{token_id}", {"used": True}, self._ttl
        )


def _revoked_key(user_id: str) -> str:
    return f"tokens-revoked|{user_id}"
