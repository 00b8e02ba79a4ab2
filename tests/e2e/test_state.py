"""Optimistic concurrency on the real state store: concurrent read-modify-writes lose nothing."""

import asyncio
import uuid

import pytest
from dapr.aio.clients import DaprClient
from dapr.conf import settings

from common.state import DaprDocuments, Document, compare_and_swap, read_document
from devstack.stack import RunningApp


def test_concurrent_compare_and_swap_loses_no_update(
    orders: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The SDK reads its sidecar's HTTP port from settings for its start-up health check.
    monkeypatch.setattr(settings, "DAPR_HTTP_PORT", orders.spec.http_port)
    monkeypatch.setattr(settings, "DAPR_API_TOKEN", orders.tokens.get("DAPR_API_TOKEN"))
    key = f"counter-{uuid.uuid4().hex}"

    def add_one(current: Document | None) -> Document:
        return {"n": (current or {"n": 0})["n"] + 1}

    async def race() -> Document | None:
        async with DaprClient(f"127.0.0.1:{orders.spec.grpc_port}") as dapr:
            store = DaprDocuments(dapr, "statestore")
            await asyncio.gather(*(compare_and_swap(store, key, add_one) for _ in range(40)))
            return await read_document(store, key)

    assert asyncio.run(race()) == {"n": 40}
