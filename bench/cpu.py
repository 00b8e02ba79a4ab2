"""CPU time of every process in a run, read from /proc before and after a scenario, so each
figure can say how many milliseconds of CPU one operation cost, and where."""

import os
import resource
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


@contextmanager
def measured(stack: Stack) -> Iterator[Usage]:
    usage = Usage()
    before = _snapshot(stack)
    yield usage
    after = _snapshot(stack)
    usage.seconds = {name: after[name] - before[name] for name in after if name in before}
