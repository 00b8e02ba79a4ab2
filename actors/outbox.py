"""An actor's outbox: events saved in the same state transaction as the change they announce,
published after the actor's turn, and dropped from state once published.

Dapr's transactional outbox covers the state transaction API, not actor state, so the actors
keep their own. A crash between the save and the publish loses nothing: the events are in
the actor's state, and the next turn or the actor's sweep reminder publishes them. Event ids
derive from the change, so an event published twice (a crash after the publish, before the
state knew) is dropped by its consumers.
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from common.events import EventDocument, Publisher

log = logging.getLogger(__name__)


class Outbox:
    def __init__(self, publisher: Publisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic
        self._events: list[EventDocument] = []
        self._published: set[str] = set()
        # One publisher at a time, so events leave in the order they were saved.
        self._publishing = asyncio.Lock()
        self._tasks: set[asyncio.Task[bool]] = set()
        self._repeat: asyncio.Task[bool] | None = None

    def load(self, stored: list[EventDocument]) -> None:
        """The events the actor's state holds, as read at activation."""
        self._events = list(stored)

    def to_store(self, new: list[EventDocument]) -> list[EventDocument]:
        """What the next save stores: the events not known to be published, and `new`.

        Call it only for a save that is about to happen; `saved` confirms it."""
        return [e for e in self._events if e["id"] not in self._published] + new

    def saved(self, stored: list[EventDocument]) -> None:
        self._events = list(stored)
        self._published &= {event["id"] for event in stored}

    @property
    def unpublished(self) -> list[EventDocument]:
        return [e for e in self._events if e["id"] not in self._published]

    @property
    def needs_trim(self) -> bool:
        """Published events the state still holds (the next save drops them)."""
        return any(event["id"] in self._published for event in self._events)

    def publish_later(self) -> None:
        """Publishes what is waiting in the background, after the turn that saved it."""
        if self.unpublished:
            self._in_background(self.publish())

    def repeat_later(self) -> None:
        """`publish_again` in the background, so a slow broker holds no turn; `repeated`
        says when it is done."""
        if self._repeat is None or (self._repeat.done() and not self.repeated):
            self._repeat = self._in_background(self.publish_again())

    @property
    def repeated(self) -> bool:
        task = self._repeat
        return task is not None and task.done() and not task.cancelled() and task.result()

    def _in_background(self, publishing: Coroutine[Any, Any, bool]) -> asyncio.Task[bool]:
        task = asyncio.get_running_loop().create_task(publishing)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def publish_again(self) -> bool:
        """Publishes once more the events already published that the state still holds: a
        broker inside the sidecar (the embedded profile's in-memory pub/sub) loses what it
        was still delivering when that sidecar dies. Consumers drop a repeated event."""
        async with self._publishing:
            for event in self._events:
                if event["id"] not in self._published:
                    continue
                try:
                    await self._publisher.publish(self._topic, event)
                except Exception as error:
                    log.warning("event %s not published again yet: %s", event["id"], error)
                    return False
        return True

    async def publish(self) -> bool:
        """Publishes every waiting event, oldest first; True when none is left. A failure
        leaves the event waiting for the next turn or the sweep."""
        async with self._publishing:
            for event in self.unpublished:
                try:
                    await self._publisher.publish(self._topic, event)
                except Exception as error:
                    log.warning("event %s not published yet: %s", event["id"], error)
                    return False
                self._published.add(event["id"])
        return True
