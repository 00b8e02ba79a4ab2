"""A saga's progress, kept in the workflow's custom status for `GET /orders/{id}/saga`.

Times come from the workflow context, so replays write the same timeline.
"""

import json
from datetime import UTC, datetime
from typing import Any, Protocol


def utc_iso(moment: datetime) -> str:
    """The runtime's clock is naive UTC; written with its offset, like every other time."""
    return moment.replace(tzinfo=UTC).isoformat() if moment.tzinfo is None else moment.isoformat()


class StatusContext(Protocol):
    @property
    def current_utc_datetime(self) -> Any: ...

    def set_custom_status(self, custom_status: str) -> None: ...


class Progress:
    def __init__(self, ctx: StatusContext) -> None:
        self._ctx = ctx
        self.timeline: list[dict[str, Any]] = []

    @property
    def current_step(self) -> str | None:
        running = [entry for entry in self.timeline if entry["status"] == "running"]
        return running[-1]["step"] if running else None

    def begin(
        self, step: str, *, compensation: bool = False, max_attempts: int | None = None
    ) -> None:
        """`max_attempts`: how often the step's activities may run under their retry policy;
        the runtime retries without telling the workflow, so a failed step used them all."""
        self.timeline.append(
            {
                "step": step,
                "kind": "compensation" if compensation else "step",
                "status": "running",
                "started_at": self._now(),
                "ended_at": None,
                "detail": None,
                "max_attempts": max_attempts,
                "attempt": 1,
            }
        )
        self._publish()

    def retrying(self, attempt: int, reason: str) -> None:
        """The running step starts its `attempt`-th try after `reason`."""
        self.timeline[-1].update(attempt=attempt, detail=f"retrying after: {reason}")
        self._publish()

    def end(self, status: str = "done", detail: str | None = None) -> None:
        entry = self.timeline[-1]
        entry.update(status=status, ended_at=self._now(), detail=detail)
        self._publish()

    def _now(self) -> str:
        return utc_iso(self._ctx.current_utc_datetime)

    def _publish(self) -> None:
        status = {"current_step": self.current_step, "timeline": self.timeline}
        self._ctx.set_custom_status(json.dumps(status))
