"""One turn at a time per actor, kept by the app as well as by daprd.

daprd holds an actor's turn only while the caller waits: a caller that gives up (its timeout,
a closed connection, the actor halted by a placement change) frees the actor in daprd while
the app still runs that call, and daprd sends the next call in beside it. Two turns of one
actor interleaving in the app lose updates (each saves what it read before the other saved),
so every method and reminder of an actor runs inside `in_turn`, which waits for the turn the
app has not finished yet. Only non-reentrant actors may use it: a call back into the same
actor from inside its turn would wait for itself.

An actor that publishes after its turn (`PublishesAfterTurn`) is told when the turn is over.
A method that answers an `Outcome` runs in `answered_in_turn`: the same turn, and an answer
even when the sidecar failed it.
"""

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable
from weakref import WeakValueDictionary

import httpx
import structlog
from dapr.actor import Actor

from actors.metrics import ACTOR_TURNS_OVERLAPPED
from actors.outcome import Outcome, unavailable

log = structlog.get_logger(__name__)
A = TypeVar("A", bound=Actor)
P = ParamSpec("P")
R = TypeVar("R")

# Keyed by actor rather than held by the actor object: daprd may deactivate an actor whose
# abandoned call still runs, and the next activation is a new object that must wait for it.
# A lock lives while some call holds or awaits it.
_turns: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()


@runtime_checkable
class PublishesAfterTurn(Protocol):
    def turn_ended(self) -> None: ...


def in_turn(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[A, P], Coroutine[Any, Any, R]]:
    @functools.wraps(method)
    async def run(actor: A, /, *args: P.args, **kwargs: P.kwargs) -> R:
        actor_type, actor_id = actor.runtime_ctx.actor_type_info.type_name, actor.id.id
        turn = _turns.get((actor_type, actor_id))
        if turn is None:
            turn = _turns[actor_type, actor_id] = asyncio.Lock()
        elif turn.locked():
            ACTOR_TURNS_OVERLAPPED.labels(actor_type).inc()
            log.warning(
                "actor called while still running a call", actor_type=actor_type, actor_id=actor_id
            )
        try:
            async with turn:
                return await method(actor, *args, **kwargs)
        finally:
            if isinstance(actor, PublishesAfterTurn):
                actor.turn_ended()

    return run


def answered_in_turn(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, Outcome]],
) -> Callable[Concatenate[A, P], Coroutine[Any, Any, Outcome]]:
    """`in_turn` for a method that answers an Outcome. A call to the sidecar that failed in
    the turn (the state or a reminder not read or saved: the store failed, the sidecar did not
    answer or no longer hosts the actor) is answered `unavailable`, which callers retry or
    pass on as a 503; raised, it would reach them as daprd's 500, which says nothing."""

    @functools.wraps(method)
    async def answer(actor: A, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
        try:
            return await method(actor, *args, **kwargs)
        except httpx.HTTPError as error:
            actor_type, actor_id = actor.runtime_ctx.actor_type_info.type_name, actor.id.id
            log.warning(
                "actor state unavailable",
                actor_type=actor_type,
                actor_id=actor_id,
                error=_described(error),
            )
            return unavailable(f"{actor_type} {actor_id} could not read or save its state.")

    return in_turn(answer)


def _described(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        return f"{response.status_code} from {error.request.url.path}: {response.text[:500]}"
    return f"{type(error).__name__}: {error}"
