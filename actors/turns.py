"""One turn at a time per actor, kept by the app as well as by daprd.

daprd holds an actor's turn only while the caller waits: a caller that gives up (its timeout,
a closed connection, the actor halted by a placement change) frees the actor in daprd while
the app still runs that call, and daprd sends the next call in beside it. Two turns of one
actor interleaving in the app lose updates (each saves what it read before the other saved),
so every method and reminder of an actor runs inside `in_turn`, which waits for the turn the
app has not finished yet. Only non-reentrant actors may use it: a call back into the same
actor from inside its turn would wait for itself.

A call that waited for its turn longer than its caller waits for an answer is not run: nobody
is waiting for it, and its caller retries on the same key. Run anyway, such calls pile up
behind a busy actor faster than it takes them (each caller that gives up sends another), until
every call waits minutes: seen on the one SKU of the fault scenarios at scale.

An actor that publishes after its turn (`PublishesAfterTurn`) is told when the turn is over.
A method that answers an `Outcome` runs in `answered_in_turn`: the same turn, and an answer
even when the sidecar failed it; a reminder runs in `reminded_in_turn`, which lets a firing that
waited too long go (the next one comes).
"""

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar, runtime_checkable
from weakref import WeakValueDictionary

import grpc
import httpx
import structlog
from dapr.actor import Actor

from actors.metrics import ACTOR_CALLS_ABANDONED, ACTOR_TURNS_OVERLAPPED
from actors.outcome import Outcome, unavailable

log = structlog.get_logger(__name__)
A = TypeVar("A", bound=Actor)
P = ParamSpec("P")
R = TypeVar("R")

# Keyed by actor rather than held by the actor object: daprd may deactivate an actor whose
# abandoned call still runs, and the next activation is a new object that must wait for it.
# A lock lives while some call holds or awaits it.
_turns: WeakValueDictionary[tuple[str, str], asyncio.Lock] = WeakValueDictionary()
# How long the callers of this process's actors wait for an answer: the app that hosts them
# sets it from ACTOR_CALL_TIMEOUT_SECONDS (`callers_wait`).
_callers_wait_seconds = 10.0


def callers_wait(seconds: float) -> None:
    global _callers_wait_seconds
    _callers_wait_seconds = seconds


class CallAbandoned(Exception):
    """The call waited for its actor's turn longer than its caller waits: it was not run."""


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
        arrived = time.monotonic()
        try:
            async with turn:
                waited = time.monotonic() - arrived
                if waited > _callers_wait_seconds:
                    ACTOR_CALLS_ABANDONED.labels(actor_type).inc()
                    raise CallAbandoned(
                        f"{actor_type} {actor_id}: a call waited {waited:.0f} s for its turn"
                    )
                return await method(actor, *args, **kwargs)
        finally:
            if isinstance(actor, PublishesAfterTurn):
                actor.turn_ended()

    return run


def reminded_in_turn(
    method: Callable[Concatenate[A, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[A, P], Coroutine[Any, Any, None]]:
    """`in_turn` for a reminder: a firing that waited too long for its turn is let go."""
    turned = in_turn(method)

    @functools.wraps(method)
    async def remind(actor: A, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await turned(actor, *args, **kwargs)
        except CallAbandoned as abandoned:
            log.warning("reminder firing let go", reason=str(abandoned))

    return remind


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
        except (grpc.RpcError, httpx.HTTPError) as error:
            actor_type, actor_id = actor.runtime_ctx.actor_type_info.type_name, actor.id.id
            log.warning(
                "actor state unavailable",
                actor_type=actor_type,
                actor_id=actor_id,
                error=_described(error),
            )
            return unavailable(f"{actor_type} {actor_id} could not read or save its state.")

    turned = in_turn(answer)

    @functools.wraps(method)
    async def answered(actor: A, /, *args: P.args, **kwargs: P.kwargs) -> Outcome:
        try:
            return await turned(actor, *args, **kwargs)
        except CallAbandoned as abandoned:
            log.warning("actor call abandoned", reason=str(abandoned))
            return unavailable(str(abandoned))

    return answered


def _described(error: grpc.RpcError | httpx.HTTPError) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    if isinstance(error, httpx.HTTPStatusError):
        response = error.response
        return f"{response.status_code} from {error.request.url.path}: {response.text[:500]}"
    return f"{type(error).__name__}: {error}"
