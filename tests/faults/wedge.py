"""Recognises a known daprd 1.18.2 wedge after an app crash, and clears it as an operator would.

When the app's last workflow work-item stream closes, daprd unregisters the workflow actor
types while holding a lock, and halts their actors. If a workflow turn is parked waiting for
that stream, the halt never returns; the app's next stream waits on the same lock, and every
later placement update (and so every actor call) queues behind it. Upstream: dapr/dapr#10408
("cancel pending work-item completions when the last worker disconnects"), merged after 1.18.2.

Its trace in daprd's log: a "work item stream closed" line with no "Dissemination complete"
after it, where a healthy daprd logs one within milliseconds.
"""

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from devstack.stack import Stack

UPSTREAM = "dapr/dapr#10408"
STREAM_CLOSED = "work item stream closed"
DISSEMINATED = "Dissemination complete"


STREAM_CLOSED_BYTES, DISSEMINATED_BYTES = STREAM_CLOSED.encode(), DISSEMINATED.encode()


@dataclass
class LogScan:
    """Reads a daprd log where it left off (a long fault run writes hundreds of megabytes, and
    the watch looks every second), remembering the last stream close no dissemination followed."""

    log: Path
    _offset: int = field(default=0, init=False)
    _lines: int = field(default=0, init=False)
    _last_close: int | None = field(default=None, init=False)

    def undisseminated_close(self) -> int | None:
        if self.log.stat().st_size < self._offset:  # written again from the start
            self._offset, self._lines, self._last_close = 0, 0, None
        with self.log.open("rb") as reader:
            reader.seek(self._offset)
            chunk = reader.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        self._offset += len(complete)
        for line in complete.splitlines():
            if STREAM_CLOSED_BYTES in line:
                self._last_close = self._lines
            elif DISSEMINATED_BYTES in line:
                self._last_close = None
            self._lines += 1
        return self._last_close


def undisseminated_close(daprd_log: Path) -> int | None:
    """The line number of the last stream close that no dissemination followed, if any."""
    return LogScan(daprd_log).undisseminated_close()


@dataclass
class WedgeWatch:
    """Tells a sound sidecar (every stream close followed by a placement update) from one
    still catching up, and calls it wedged once a close has waited `grace` seconds."""

    daprd_log: Path
    grace: float = 30.0
    _seen: tuple[int, float] | None = field(default=None, init=False)
    _scan: LogScan | None = field(default=None, init=False)

    def state(self) -> Literal["sound", "catching up", "wedged"]:
        if self._scan is None:
            self._scan = LogScan(self.daprd_log)
        close = self._scan.undisseminated_close()
        if close is None:
            self._seen = None
            return "sound"
        if self._seen is None or self._seen[0] != close:
            self._seen = (close, time.monotonic())
        return "wedged" if time.monotonic() - self._seen[1] >= self.grace else "catching up"


@dataclass
class SidecarMedic:
    """Watches every sidecar of an app and restarts one the upstream bug wedged, as an
    operator would. With replicas a wedged sidecar stalls the whole app-id: it never
    acknowledges the next placement table, and placement waits for every host."""

    stack: Stack
    app_id: str
    restarts: int = 0
    _watches: dict[str, WedgeWatch] = field(default_factory=dict, init=False)

    def sound(self) -> bool:
        """True when every sidecar of the app is sound; restarts the wedged ones."""
        states = []
        for replica in self.stack.replicas[self.app_id]:
            if not replica.daprd.running:
                continue
            watch = self._watches.setdefault(replica.name, WedgeWatch(replica.daprd.log_path))
            state = watch.state()
            if state == "wedged":
                replica.daprd.kill()
                self.stack.start_sidecar(replica)
                self.restarts += 1
            states.append(state)
        return all(state == "sound" for state in states)
