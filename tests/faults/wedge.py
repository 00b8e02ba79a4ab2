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


def undisseminated_close(daprd_log: Path) -> int | None:
    """The line number of the last stream close that no dissemination followed, if any."""
    last_close, disseminated = None, False
    with daprd_log.open(errors="replace") as lines:
        for number, line in enumerate(lines):
            if STREAM_CLOSED in line:
                last_close, disseminated = number, False
            elif DISSEMINATED in line:
                disseminated = True
    return None if disseminated else last_close


@dataclass
class WedgeWatch:
    """Tells a sound sidecar (every stream close followed by a placement update) from one
    still catching up, and calls it wedged once a close has waited `grace` seconds."""

    daprd_log: Path
    grace: float = 30.0
    _seen: tuple[int, float] | None = field(default=None, init=False)

    def state(self) -> Literal["sound", "catching up", "wedged"]:
        close = undisseminated_close(self.daprd_log)
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
