"""The benchmark report flags a figure the load generator may have limited, and one whose
baseline stalled; a measurement waits for the stack to be quiet."""

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, cast

from bench.cpu import settle
from bench.report import baseline_stalled, generator_share
from devstack.stack import Stack


def test_the_generators_share_of_a_core_is_its_cpu_per_operation_times_the_rate() -> None:
    assert generator_share({"per_second": 500.0, "cpu_ms": {"load generator": 0.5}}) == "25.0"


def test_a_generator_above_a_third_of_a_core_is_flagged() -> None:
    flagged = generator_share({"per_second": 1000.0, "cpu_ms": {"load generator": 0.4}})
    assert flagged == "40.0 (generator-bound?)"


def test_a_baseline_slower_than_its_figure_at_p99_stalled() -> None:
    baseline = {"name": "B1 baseline: direct, 300/s open loop", "p99_ms": 2313.2}
    assert baseline_stalled(baseline, {"p99_ms": 35.5}) is not None
    assert baseline_stalled({**baseline, "p99_ms": 4.0}, {"p99_ms": 35.5}) is None


@dataclass
class _Process:
    popen: "subprocess.Popen[bytes]"
    name: str = "busy"

    @property
    def running(self) -> bool:
        return self.popen.poll() is None


@dataclass
class _Stack:
    processes: list[Any] = field(default_factory=list)


def test_a_measurement_waits_while_a_process_of_the_stack_is_busy() -> None:
    busy = "import time\nend = time.monotonic() + 2.5\nwhile time.monotonic() < end: pass\n"
    popen = subprocess.Popen([sys.executable, "-c", busy])
    try:
        waited = settle(cast(Stack, _Stack([_Process(popen)])), window=0.5)
    finally:
        popen.kill()
        popen.wait()
    assert waited >= 2.0
    assert settle(cast(Stack, _Stack([])), window=0.2) < 1.0
