"""An actor's own state through its sidecar: one name read, or several saved in one transaction.

In place of the SDK's StateProvider, which writes each state name into the transaction's JSON
as it is. The Inventory names its restock records after callers' text (an Idempotency-Key, a
shipment id): a quote, a backslash or a tab in it made a body daprd refused (the actor failed
and the client got a 500), and an escape sequence saved the record under another name than
the one read back, so a repeated restock added its units again. Here json.dumps writes it all.
"""

import json
from collections.abc import Mapping
from typing import Any

from dapr.actor.runtime.context import ActorRuntimeContext


class ActorState:
    def __init__(self, ctx: ActorRuntimeContext, actor_id: str) -> None:
        self._sidecar = ctx.dapr_client
        self.actor_type = ctx.actor_type_info.type_name
        self.actor_id = actor_id

    async def load(self, name: str) -> Any | None:
        """The value saved under `name`, or None when there is none."""
        raw = await self._sidecar.get_state(self.actor_type, self.actor_id, name)
        return json.loads(raw) if raw else None

    async def save(self, values: Mapping[str, Any]) -> None:
        """Every name set to its value, in one state transaction."""
        operations = [
            {"operation": "upsert", "request": {"key": name, "value": value}}
            for name, value in values.items()
        ]
        body = json.dumps(operations, separators=(",", ":")).encode()
        await self._sidecar.save_state_transactionally(self.actor_type, self.actor_id, body)
