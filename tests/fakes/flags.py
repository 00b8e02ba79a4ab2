"""The flags' stores: a configuration store that announces each change to the `Flags` it
feeds, as the Configuration API's subscription does, and the sidecar's bulk state read that
the embedded profile's polling uses."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from dapr.clients.grpc._response import BulkStateItem, BulkStatesResponse

from app.flags import Flags


@dataclass
class FakeFlagStore:
    flags: Flags = field(default_factory=Flags)
    texts: dict[str, str] = field(default_factory=dict)

    def set(self, key: str, text: str) -> None:
        self.texts[key] = text
        self.flags.apply({key: text})

    def delete(self, key: str) -> None:
        self.texts.pop(key, None)
        self.flags.apply({key: ""})


@dataclass
class FakeBulkState:
    """The sidecar's bulk state read; `down` makes it fail as an unreachable store does."""

    values: dict[str, bytes] = field(default_factory=dict)
    down: bool = False

    async def get_bulk_state(self, store_name: str, keys: Sequence[str]) -> BulkStatesResponse:
        if self.down:
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.UNAVAILABLE, grpc.aio.Metadata(), grpc.aio.Metadata()
            )
        items = [BulkStateItem(key, self.values.get(key, b""), "") for key in keys]
        return BulkStatesResponse(items)


@dataclass
class FakeLog:
    """What was logged, as (level, event, fields)."""

    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def info(self, event: str, **fields: Any) -> None:
        self.lines.append(("info", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self.lines.append(("warning", event, fields))

    def levels(self) -> list[str]:
        return [level for level, _, _ in self.lines]
