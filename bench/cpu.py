"""CPU time of every process in a run, read from /proc before and after a scenario, so each
figure can say how many milliseconds of CPU one operation cost, and where.

A scenario's operations leave work behind them (their events delivered, the read models
written), which went on into the next scenario: a checkout measured after 1,500 reservations
cost 167 ms of CPU where the same checkouts cost 131 ms on a quiet stack. So each measurement
starts once the stack is quiet and ends once it is quiet again, and counts what its own
operations caused.
"""

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from devstack.stack import Stack

TICKS = os.sysconf("SC_CLK_TCK")
GENERATOR = "load generator"


def cpu_seconds(pid: int) -> float:
    """User + system time of a live process (fields 14 and 15 of /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _generator_seconds() -> float:
    """This process and the children it waited for (wrk runs as one)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass
class Usage:
    """CPU seconds per process during one scenario; filled in when it ends."""

    seconds: dict[str, float] = field(default_factory=dict)

    def per_op_ms(self, operations: int) -> dict[str, float]:
        return {name: round(s * 1000 / max(operations, 1), 2) for name, s in self.seconds.items()}

    def total_ms(self, operations: int, *, service_only: bool = True) -> float:
        counted = [
            s for name, s in self.seconds.items() if not (service_only and name == GENERATOR)
        ]
        return round(sum(counted) * 1000 / max(operations, 1), 2)


def _snapshot(stack: Stack) -> dict[str, float]:
    found = {}
    for process in stack.processes:
        if process.running and process.popen is not None:
            try:
                found[process.name] = cpu_seconds(process.popen.pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
    found[GENERATOR] = _generator_seconds()
    return found


# An idle stack's processes use 0.02 to 0.06 of a core together (placement's heartbeats,
# health checks); busier than this per process, the stack is still working.
QUIET_CORES_PER_PROCESS = 0.02
SETTLE_LIMIT_SECONDS = 60.0


def settle(stack: Stack, window: float = 1.0) -> float:
    """Waits until the stack's processes are as quiet as an idle stack for one window (at most
    SETTLE_LIMIT_SECONDS; says so when they never were). Answers the seconds it waited."""
    started = time.monotonic()
    quiet = max(0.1, QUIET_CORES_PER_PROCESS * len(stack.processes)) * window
    last = _service_seconds(stack)
    while time.monotonic() - started < SETTLE_LIMIT_SECONDS:
        time.sleep(window)
        now = _service_seconds(stack)
        if now - last < quiet:
            return time.monotonic() - started
        last = now
    print(f"bench: the stack was still busy after {SETTLE_LIMIT_SECONDS:.0f} s", file=sys.stderr)
    return time.monotonic() - started


def _service_seconds(stack: Stack) -> float:
    return sum(s for name, s in _snapshot(stack).items() if name != GENERATOR)


@contextmanager
def measured(stack: Stack) -> Iterator[Usage]:
    usage = Usage()
    settle(stack)
    before = _snapshot(stack)
    yield usage
    settle(stack)
    after = _snapshot(stack)
    usage.seconds = {name: after[name] - before[name] for name in after if name in before}
