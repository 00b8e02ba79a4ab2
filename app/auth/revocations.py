"""Revoked tokens, kept through the sidecar with a TTL so a revocation survives a restart and
is forgotten once the tokens it covers would have expired anyway."""

import json

from dapr.aio.clients import DaprClient

from app.state import insert_document, read_document


class Revocations:
    def __init__(self, dapr: DaprClient, store: str, ttl_seconds: int) -> None:
        self._dapr = dapr
        self._store = store
        # As long as the longest-lived token, a refresh token.
        self._ttl = ttl_seconds

    async def revoke_all(self, user_id: str, before: float) -> None:
        """Every token of the user issued before `before` (seconds since the epoch) is refused."""
        await self._dapr.save_state(
            self._store,
            _revoked_key(user_id),
            json.dumps({"before": before}),
            state_metadata={"ttlInSeconds": str(self._ttl)},
        )

    async def revoked_before(self, user_id: str) -> float | None:
        document = await read_document(self._dapr, self._store, _revoked_key(user_id))
        return float(document["before"]) if document else None

    async def use_refresh_token(self, token_id: str) -> bool:
        """Marks a refresh token as spent; False when it was spent already (a replay)."""
        return await insert_document(
            self._dapr, self._store, f"refresh-used|{token_id}", {"used": True}, self._ttl
        )


def _revoked_key(user_id: str) -> str:
    return f"tokens-revoked|{user_id}"
