"""Plain JSON for actor messages and state.

The SDK's default serializer turns any string that looks like a date into a `datetime`, so an
ISO timestamp in, say, an order's history would come back as another type than it went in.
Durations (a reminder's due time and period) go out as the sidecar writes them.
"""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dapr.serializers import Serializer
from dapr.serializers.util import convert_to_dapr_duration


class PlainJson(Serializer):
    def serialize(
        self,
        obj: object,
        custom_hook: Callable[[object], bytes] | None = None,  # noqa: ARG002 (SDK signature)
    ) -> bytes:
        return json.dumps(obj, separators=(",", ":"), default=_duration).encode()

    def deserialize(
        self,
        data: bytes,
        data_type: type | None = object,  # noqa: ARG002 (SDK signature)
        custom_hook: Callable[[bytes], object] | None = None,  # noqa: ARG002
    ) -> Any:
        return json.loads(data) if data else None


def _duration(value: object) -> str:
    if isinstance(value, timedelta):
        return convert_to_dapr_duration(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
