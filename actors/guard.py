"""A last look before an actor saves: is the state still what this turn loaded?

daprd gives one activation of an actor at a time, but frees an actor for its next call when
the caller of the current one gives up, and a sidecar that fell out of step with placement
(dapr/dapr#10408) may keep serving actors the others have moved. With replicas, the next
call can then run on another replica while this one is still in its turn. Such a turn finds
the state changed under it and is refused instead of overwriting the newer state; its caller
retries, and the retry starts from what is stored. Actor state has no ETag, so a small window
remains between this look and the save.
"""

from typing import Any

import structlog

from actors.metrics import STALE_TURNS
from actors.state import ActorState

log = structlog.get_logger(__name__)


class StaleTurn(Exception):
    """Another activation saved this actor's state after this turn loaded it."""


async def still_current(state: ActorState, key: str, loaded: Any) -> None:
    if await state.load(key) != loaded:
        STALE_TURNS.labels(state.actor_type).inc()
        log.warning(
            "actor state changed during the turn",
            actor_type=state.actor_type,
            actor_id=state.actor_id,
        )
        raise StaleTurn(f"{state.actor_type}/{state.actor_id} was saved by another activation")
