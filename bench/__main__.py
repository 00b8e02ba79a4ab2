"""`make bench`: the service's costs on this machine, each beside a baseline from the same run.

Starts its own stack (embedded profile) in a temporary folder, prints a table, and writes it
to bench/results/latest.{json,md}. `--smoke` runs tiny counts, only to keep the suite working.
"""

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import scenarios
from bench.stats import Figures
from devstack.runtime import PROJECT_ROOT, ensure_runtime, pinned_version
from devstack.stack import RunFile, RunningApp, Stack

RESULTS = PROJECT_ROOT / "bench" / "results"


async def measure(orders: RunningApp, smoke: bool) -> list[Figures]:
    calls, sagas = (50, 10) if smoke else (3000, 300)
    figures = await scenarios.invocation(orders, calls)
    figures += await scenarios.actor_reservations(orders, calls)
    figures.append(await scenarios.checkouts_without_workflow(orders, sagas, in_flight=10))
    figures += await scenarios.checkouts(orders, sagas, in_flight=10)
    return figures


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "dapr_runtime": pinned_version(),
        "profile": "embedded (SQLite state, in-memory pub/sub)",
    }


def to_markdown(result: dict[str, Any]) -> str:
    head = "| scenario | count | per s | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|---|---|\n"
    rows = "".join(
        f"| {r['name']} | {r['count']} | {r['per_second']} | {r['p50_ms']} | {r['p90_ms']} "
        f"| {r['p99_ms']} |\n"
        for r in result["rows"]
    )
    m = result["machine"]
    return (
        f"# Benchmark results\n\n{m['cpus']} x {m['cpu']}, Python {m['python']}, "
        f"Dapr {m['dapr_runtime']}, profile: {m['profile']}; load generator CPU "
        f"{result['load_generator_cpu_percent']} % of one core.\n\n{head}{rows}\n"
        f"Ratios: {json.dumps(result['ratios'])}\n"
    )


def ratios(rows: list[dict[str, Any]]) -> dict[str, float]:
    by_name = {r["name"]: r for r in rows}

    def p50(name: str) -> float:
        value: float = by_name[name]["p50_ms"]
        return value

    return {
        "B1 added p50 ms": round(
            p50("B1 service invocation") - p50("B1 baseline: direct to the app"), 2
        ),
        "B2 actor/state rate": round(
            by_name["B2 actor Reserve (one SKU)"]["per_second"]
            / by_name["B2 baseline: state save+get via sidecar"]["per_second"],
            2,
        ),
        "B4 saga/plain-calls rate": round(
            by_name["B4 checkout (client view)"]["per_second"]
            / by_name["B4 baseline: same calls, no workflow"]["per_second"],
            2,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny counts; checks it still runs")
    args = parser.parse_args()
    run_file = RunFile.load()
    with tempfile.TemporaryDirectory(prefix="bench-") as workdir:
        stack = Stack(ensure_runtime(), Path(workdir), run_file)
        try:
            stack.start_control_plane()
            stack.start_app(run_file.apps["payments"].on_free_ports())
            orders = stack.start_app(run_file.apps["orders"].on_free_ports())
            cpu_before, wall_before = time.process_time(), time.perf_counter()
            figures = asyncio.run(measure(orders, args.smoke))
            cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        finally:
            stack.stop()
    rows = [figure.row() for figure in figures]
    result = {
        "machine": machine(),
        "smoke": args.smoke,
        "load_generator_cpu_percent": round(cpu * 100, 1),
        "rows": rows,
        "ratios": ratios(rows),
    }
    markdown = to_markdown(result)
    print(markdown)
    if not args.smoke:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / "latest.md").write_text(markdown)


if __name__ == "__main__":
    main()
