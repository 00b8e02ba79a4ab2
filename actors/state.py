"""An actor's own state through its sidecar: one name read, or several saved in one transaction.

In place of the SDK's StateProvider, which writes each state name into the transaction's JSON
as it is. The Inventory names its restock records after callers' text (an Idempotency-Key, a
shipment id): a quote, a backslash or a tab in it made a body daprd refused (the actor failed
and the client got a 500), and an escape sequence saved the record under another name than
the one read back, so a repeated restock added its units again. Here each name travels as a
field of its own (common/sidecar.py sends them over gRPC) and each value as its JSON.
"""

import json
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from dapr.actor.runtime.context import ActorRuntimeContext


@runtime_checkable
class StateSidecar(Protocol):
    """What the actor runtime's sidecar client must do for `ActorState`."""

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes: ...

    async def save_states(
        self, actor_type: str, actor_id: str, values: Mapping[str, bytes]
    ) -> None: ...


class ActorState:
    def __init__(self, ctx: ActorRuntimeContext, actor_id: str) -> None:
        sidecar = ctx.dapr_client
        if not isinstance(sidecar, StateSidecar):
            raise TypeError(
                f"register the actors with an actor_client that has save_states: {sidecar!r}"
            )
        self._sidecar = sidecar
        self.actor_type = ctx.actor_type_info.type_name
        self.actor_id = actor_id

    async def load(self, name: str) -> Any | None:
        """The value saved under `name`, or None when there is none."""
        raw = await self._sidecar.get_state(self.actor_type, self.actor_id, name)
        return json.loads(raw) if raw else None

    async def save(self, values: Mapping[str, Any]) -> None:
        """Every name set to its value, in one state transaction."""
        encoded = {
            name: json.dumps(value, separators=(",", ":")).encode()
            for name, value in values.items()
        }
        await self._sidecar.save_states(self.actor_type, self.actor_id, encoded)
