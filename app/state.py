"""Optimistic updates of one JSON document in a Dapr state store.

Read the value and its ETag, decide, write back only if the ETag still matches (insert-only
when the key was absent); on a conflict, read again and decide again.
"""

import json
from collections.abc import Callable
from typing import Any

import grpc
from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprInternalError
from dapr.clients.grpc._state import Concurrency, StateOptions

Document = dict[str, Any]
FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
MAX_ATTEMPTS = 50
_CONFLICT_CODES = {grpc.StatusCode.ABORTED, grpc.StatusCode.FAILED_PRECONDITION}


async def read_document(dapr: DaprClient, store: str, key: str) -> Document | None:
    item = await dapr.get_state(store, key)
    return json.loads(item.data) if item.data else None


async def compare_and_swap(
    dapr: DaprClient, store: str, key: str, decide: Callable[[Document | None], Document | None]
) -> Document | None:
    """Stores what `decide` makes of the current document; None from `decide` writes nothing.

    Returns the stored document, or None when nothing was written.
    """
    for _ in range(MAX_ATTEMPTS):
        item = await dapr.get_state(store, key)
        decided = decide(json.loads(item.data) if item.data else None)
        if decided is None:
            return None
        try:
            await dapr.save_state(
                store, key, json.dumps(decided), etag=item.etag or None, options=FIRST_WRITE
            )
            return decided
        except DaprInternalError as error:
            if not await _lost_race(dapr, store, key, item.etag, error):
                raise
    raise RuntimeError(f"gave up on {key!r} after {MAX_ATTEMPTS} conflicting writes")


async def _lost_race(
    dapr: DaprClient, store: str, key: str, etag: str | None, error: DaprInternalError
) -> bool:
    """Whether a write failed because another writer got there first.

    An update with an ETag says so with its status code (the async client wraps the gRPC
    error). An insert-only write does not: Redis and PostgreSQL answer INTERNAL, so a failed
    insert counts as a lost race when the key exists now.
    """
    if etag:
        cause = error.__cause__
        return isinstance(cause, grpc.RpcError) and cause.code() in _CONFLICT_CODES
    return bool((await dapr.get_state(store, key)).data)


async def insert_document(
    dapr: DaprClient, store: str, key: str, document: Document, ttl_seconds: int | None = None
) -> bool:
    """Writes `document` only if `key` holds nothing; False when it already did.

    One insert-only write is what makes a claim (an e-mail address, a refresh token's use)
    atomic across concurrent callers and app replicas.
    """
    metadata = {"ttlInSeconds": str(ttl_seconds)} if ttl_seconds is not None else {}
    try:
        await dapr.save_state(
            store, key, json.dumps(document), options=FIRST_WRITE, state_metadata=metadata
        )
    except DaprInternalError:
        if (await dapr.get_state(store, key)).data:
            return False
        raise
    return True
