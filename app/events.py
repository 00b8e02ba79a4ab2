"""Domain events leave as CloudEvents 1.0 on the `pubsub` component.

Event ids are derived from what happened (an order id and its transition, a SKU and its
version), so publishing the same change twice yields the same id and consumers drop the copy.
"""

import json
from typing import Any

from dapr.aio.clients import DaprClient

CLOUDEVENTS_JSON = "application/cloudevents+json"
SOURCE = "orders"


def cloud_event(event_type: str, event_id: str, data: dict[str, Any], time: str) -> dict[str, Any]:
    """`time` is when the change happened, as ISO 8601."""
    return {
        "specversion": "1.0",
        "type": event_type,
        "source": SOURCE,
        "id": event_id,
        "time": time,
        "datacontenttype": "application/json",
        "data": data,
    }


class EventPublisher:
    def __init__(self, dapr: DaprClient, pubsub: str) -> None:
        self._dapr = dapr
        self._pubsub = pubsub

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._dapr.publish_event(
            self._pubsub, topic, json.dumps(event), data_content_type=CLOUDEVENTS_JSON
        )
