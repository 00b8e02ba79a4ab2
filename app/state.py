"""Optimistic updates of one JSON document in a Dapr state store.

Read the value and its ETag, decide, write back only if the ETag still matches (insert-only
when the key was absent); on a conflict, read again and decide again.
"""

import json
from collections.abc import Callable
from typing import Any

from dapr.aio.clients import DaprClient
from dapr.clients.exceptions import DaprGrpcError
from dapr.clients.grpc._state import Concurrency, StateOptions

Document = dict[str, Any]
FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
MAX_ATTEMPTS = 50
_CONFLICT_CODES = {"ABORTED", "FAILED_PRECONDITION"}


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
        except DaprGrpcError as error:
            if error.code().name not in _CONFLICT_CODES:  # type: ignore[no-untyped-call]
                raise
    raise RuntimeError(f"gave up on {key!r} after {MAX_ATTEMPTS} conflicting writes")
