"""B7: the service with 1, 2 and 3 replicas of each app in the same run: checkouts/s and
their p99 through the front door, and Reserve calls/s over 100 SKUs sent through every
replica's sidecar, each with the CPU per operation of every process. `make bench` runs it;
alone: `python -m bench.replicas [--smoke]`.

Two cores are the whole machine here: more replicas add processes to share them, so they
are not expected to go faster here; on a cluster each replica would bring its own cores.
"""

import argparse
import asyncio
import os
import tempfile
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from bench import scenarios
from bench.cpu import measured
from bench.report import save_results
from bench.stats import Figures
from devstack.processes import free_port
from devstack.runfile import RunFile
from devstack.runtime import ensure_runtime
from devstack.stack import RunningApp, Stack

ORDERS_ENV = {
    "PERIMETER_GENERAL_RATE_LIMIT": "100000000/minute",
    "PERIMETER_LOGIN_RATE_LIMIT": "1000/minute",
    "LOG_FORMAT": "json",
}


def replicated(workdir: Path, run_file: RunFile, replicas: int) -> Stack:
    stack = Stack(ensure_runtime(), workdir, run_file, control_plane_size=3 if replicas > 1 else 1)
    stack.start_control_plane()
    stack.start_replicas(run_file.apps["payments"].on_free_ports(), replicas)
    orders = run_file.apps["orders"]
    orders = replace(orders, env={**orders.env, **ORDERS_ENV})
    door = free_port() if replicas > 1 else None
    stack.start_replicas(orders if door else orders.on_free_ports(), replicas, front_door_port=door)
    return stack


def front(stack: Stack) -> RunningApp:
    first = stack.apps["orders"]
    port = int(stack.url_of("orders").rsplit(":", 1)[1])
    return replace(first, spec=replace(first.spec, app_port=port))


async def spread_reservations(stack: Stack, count: int, skus: int) -> Figures:
    """Reserve calls over `skus` items, each sent through the next replica's sidecar."""
    orders = front(stack)
    names = [f"b7-{uuid.uuid4().hex[:8]}" for _ in range(skus)]
    for sku in names:
        await scenarios.new_item(orders, sku, stock=count)
    replicas = stack.replicas["orders"]
    clients = [
        httpx.AsyncClient(base_url=r.dapr_url, headers=r.sidecar_headers, timeout=60)
        for r in replicas
    ]

    async def reserve(_client: httpx.AsyncClient, n: int) -> None:
        client = clients[n % len(clients)]
        url = f"/v1.0/actors/Inventory/{names[n % skus]}/method/Reserve"
        response = await client.put(url, json={"order_id": f"b7-{n}", "quantity": 1})
        assert response.json()["ok"], response.text

    try:
        name = f"B7 Reserve over {skus} SKUs, {len(replicas)} replicas"
        return await scenarios.closed_loop(name, reserve, orders, count=count, concurrency=16)
    finally:
        for client in clients:
            await client.aclose()


def measure(replicas: int, smoke: bool) -> list[Figures]:
    sagas, calls = (10, 50) if smoke else (200, 2000)
    run_file = RunFile.load().with_profile(os.environ.get("DAPR_PROFILE", "embedded"))
    with tempfile.TemporaryDirectory(prefix="bench-b7-") as workdir:
        stack = replicated(Path(workdir), run_file, replicas)
        try:
            orders = front(stack)
            asyncio.run(scenarios.sign_in(orders))
            with measured(stack) as usage:
                run = scenarios.checkouts(
                    orders, sagas, in_flight=10, replicas=stack.replicas["orders"]
                )
                checkouts = asyncio.run(run)
            ran = [
                replace(f, name=f"{f.name}, {replicas} replicas", cpu_ms=usage.per_op_ms(sagas))
                for f in checkouts
            ]
            with measured(stack) as usage:
                reserving = asyncio.run(spread_reservations(stack, calls, skus=100))
            return [*ran, replace(reserving, cpu_ms=usage.per_op_ms(calls))]
        finally:
            stack.stop()


def to_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "# B7: 1, 2 and 3 replicas of each app, same run",
        "",
        "| scenario | count | per s | p50 ms | p99 ms | CPU ms/op (all processes) |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['name']} | {r['count']} | {r['per_second']} | {r['p50_ms']} | {r['p99_ms']} "
            f"| {r.get('cpu_ms_per_op', '')} |"
            for r in rows
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny counts; checks it still runs")
    args = parser.parse_args()
    rows = [figure.row() for replicas in (1, 2, 3) for figure in measure(replicas, args.smoke)]
    markdown = to_markdown(rows)
    print(markdown)
    if not args.smoke:
        profile = os.environ.get("DAPR_PROFILE", "embedded")
        save_results(f"{profile}-b7", rows, markdown)


if __name__ == "__main__":
    main()
