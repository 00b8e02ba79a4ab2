"""`make bench`: the service's costs on this machine, each beside a baseline from the same run.

Starts its own stack (the profile DAPR_PROFILE names, embedded by default) in a temporary
folder, prints a table, and writes it to bench/results/<profile>.{json,md}. `--smoke` runs
tiny counts, only to keep the suite working; `--soak SECONDS` adds B6's memory-growth run.
"""

import argparse
import asyncio
import os
import platform
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import memory, scenarios
from bench.checkout_steps import checkout_steps
from bench.cpu import measured
from bench.report import ratios, save_results, targets, to_markdown
from bench.stack import bench_stack, profile
from bench.stats import Figures
from bench.wrk import run_wrk
from devstack.runtime import pinned_version
from devstack.stack import Stack

# The benchmarks measure the service, not its rate limits; B5 reads the JSON log lines. The
# step-by-step checkout places orders with no saga on purpose, which the saga watch would
# start after its period (30 s): here it waits an hour, so its firings are not in B4 either.
ORDERS_ENV = {
    "PERIMETER_GENERAL_RATE_LIMIT": "100000000/minute",
    "PERIMETER_LOGIN_RATE_LIMIT": "1000/minute",
    "LOG_FORMAT": "json",
    "ORDERS_SAGA_WATCH_SECONDS": "3600",
}


Measurement = Coroutine[Any, Any, Figures | list[Figures]]


def with_cpu(stack: Stack, run: Callable[[], Measurement]) -> list[Figures]:
    """Runs one measurement and gives its figures its CPU per operation; several figures of
    one run (B4's two views of the same checkouts) count the same operations."""
    with measured(stack) as usage:
        measured_figures = asyncio.run(run())
    figures = measured_figures if isinstance(measured_figures, list) else [measured_figures]
    operations = figures[0].count
    return [replace(figure, cpu_ms=usage.per_op_ms(operations)) for figure in figures]


def http_costs(stack: Stack, smoke: bool) -> list[Figures]:
    """B0: what a request costs the app and its sidecar, driven by wrk (8 connections)."""
    orders = stack.apps["orders"]
    seconds = 2 if smoke else 10
    requests = asyncio.run(scenarios.request_costs(orders))
    cases = [
        ("B0 GET /health/live (baseline)", f"{orders.url}/health/live", {}),
        *((name, f"{orders.url}{path}", headers) for name, (path, headers) in requests.items()),
        ("B1 service invocation (wrk)", f"{orders.dapr_url}/v1.0/invoke/orders/method/health/live",
         orders.sidecar_headers),
    ]  # fmt: skip
    figures = []
    for name, url, headers in cases:
        with measured(stack) as usage:
            figure = run_wrk(name, url, seconds=seconds, headers=headers)
        figures.append(replace(figure, cpu_ms=usage.per_op_ms(figure.count)))
    return figures


def measure(stack: Stack, smoke: bool) -> tuple[list[Figures], dict[str, Any]]:
    orders = stack.apps["orders"]
    calls, sagas = (50, 10) if smoke else (3000, 300)
    rate, seconds = (50.0, 1.0) if smoke else (300.0, 20.0)
    events, burst = (10, 20) if smoke else (500, 1000)
    idle = memory.sample(stack)
    asyncio.run(scenarios.sign_in(orders))
    figures = http_costs(stack, smoke)
    figures += with_cpu(stack, lambda: scenarios.direct_calls(orders, calls))
    figures += with_cpu(stack, lambda: scenarios.invocations(orders, calls))
    figures += asyncio.run(scenarios.invocation_at_fixed_rate(orders, rate, seconds))
    figures += with_cpu(stack, lambda: scenarios.state_saves_and_gets(orders, calls))
    sku = asyncio.run(scenarios.fresh_item(orders, stock=calls * 2))
    figures += with_cpu(stack, lambda: scenarios.reservations_on_one_sku(orders, sku, calls))
    figures += with_cpu(stack, lambda: scenarios.activations(orders, sku, calls))
    figures += with_cpu(stack, lambda: scenarios.reservations_over_skus(orders, calls, skus=100))
    figures += with_cpu(
        stack, lambda: scenarios.checkouts_without_workflow(orders, sagas, in_flight=10)
    )
    figures += with_cpu(stack, lambda: scenarios.checkouts(orders, sagas, in_flight=10))
    figures += checkout_steps(stack, orders, sagas)
    log = stack.log_dir / "orders.log"
    figures += asyncio.run(
        scenarios.publish_to_handler(
            orders, log, rate=10.0 if smoke else 50.0, count=events, burst=burst
        )
    )
    return figures, {"idle_mib": idle, "after_b1_b5_mib": memory.sample(stack)}


async def soak(stack: Stack, seconds: float) -> dict[str, Any]:
    """B6 growth: invocations at 100/s and a checkout every 0.5 s, for `seconds`."""
    orders = stack.apps["orders"]
    start = memory.sample(stack)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.gather(
            scenarios.invocation_at_fixed_rate(orders, 100.0, 30.0),
            scenarios.checkouts(orders, 60, in_flight=2),
        )
    end = memory.sample(stack)
    return {
        "seconds": seconds,
        "start_mib": start,
        "end_mib": end,
        "growth_percent": memory.growth_percent(start, end),
    }


def machine(profile: str) -> dict[str, Any]:
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
        "profile": profile,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny counts; checks it still runs")
    parser.add_argument("--soak", type=float, default=0, help="seconds of B6 memory-growth load")
    args = parser.parse_args()
    about = machine(profile())
    with bench_stack("bench-", ORDERS_ENV) as (stack, _orders):
        time.sleep(2)  # let start-up settle before the idle memory sample
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        figures, rss = measure(stack, args.smoke)
        cpu = (time.process_time() - cpu_before) / (time.perf_counter() - wall_before)
        if args.soak:
            rss["soak"] = asyncio.run(soak(stack, args.soak))
    rows = [figure.row() for figure in figures]
    result = {
        "machine": about,
        "smoke": args.smoke,
        "load_generator_cpu_percent": round(cpu * 100, 1),
        "rows": rows,
        "ratios": ratios(rows),
        "memory": rss,
    }
    result["targets"] = targets(result)
    markdown = to_markdown(result)
    print(markdown)
    if not args.smoke:
        save_results(profile(), result, markdown)


if __name__ == "__main__":
    main()
