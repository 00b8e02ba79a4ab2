"""Where the CPU goes: sampling profiles of the orders and payments apps (py-spy) and of the
orders sidecar (daprd's pprof server) while checkouts (B4) and then reservations over 100
SKUs (B2) run, and while wrk asks for the signed-in user and for an item (B0: a request with
one state read, and one with an actor call). `make bench` runs it; alone: `python -m
bench.profiles [--smoke]`.

Each window lasts a fixed time and its load repeats in bounded rounds until it has covered
the window. The report groups samples by where their code lives (a package, or a part of
the standard library), first by the frame that was running (self), then by every frame on
the stack (inclusive), beside the CPU per operation of every process from /proc. The raw
profiles stay in .data/artifacts/bench-profiles/ for flame graphs.
"""

import argparse
import asyncio
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import scenarios
from bench.cpu import measured
from bench.report import save_results
from bench.scenarios import sign_in
from bench.stack import bench_stack, profile
from bench.wrk import run_wrk
from devstack.processes import free_port
from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunningApp, Stack

ARTIFACTS = PROJECT_ROOT / ".data" / "artifacts" / "bench-profiles"
ORDERS_ENV = {"PERIMETER_GENERAL_RATE_LIMIT": "100000000/minute", "LOG_FORMAT": "json"}
SAMPLE_RATE = 100
MAX_ROUNDS = 50
TOP = 12

Round = Callable[[RunningApp], Awaitable[int]]


async def checkout_round(orders: RunningApp) -> int:
    count = 20
    await scenarios.checkouts(orders, count, in_flight=10)
    return count


async def reservation_round(orders: RunningApp) -> int:
    count = 400
    await scenarios.reservations_over_skus(orders, count, skus=100)
    return count


def wrk_round(path: str, headers: dict[str, str], seconds: float) -> Round:
    """One wrk run (8 connections) as long as the window: a compiled client, so the app, not
    the generator, is what runs out of CPU."""

    async def round_of(orders: RunningApp) -> int:
        url = f"{orders.url}{path}"
        figure = await asyncio.to_thread(run_wrk, path, url, seconds=seconds, headers=headers)
        return figure.count

    return round_of


async def windows_for(orders: RunningApp, seconds: float) -> dict[str, Round]:
    requests = await scenarios.request_costs(orders)
    return {
        "B4 checkouts, 10 in flight": checkout_round,
        "B2 Reserve over 100 SKUs, 16 in flight": reservation_round,
        **{
            f"{name}, wrk": wrk_round(path, headers, seconds)
            for name, (path, headers) in requests.items()
        },
    }


@dataclass(frozen=True)
class Area:
    """Samples of one part of the code, as a share of the process's samples."""

    name: str
    self_percent: float
    inclusive_percent: float


def python_area(frame: str) -> str:
    """`handle (starlette/routing.py:74)` → `starlette`; the standard library by module."""
    found = re.search(r"\(([^()]*?):\d+\)$", frame)
    path = found.group(1) if found else frame
    path = re.sub(r"^.*/(site-packages|python3\.\d+)/", "", path)
    first = path.lstrip("/").split("/", 1)[0]
    return first.removesuffix(".py") or "?"


def go_area(function: str) -> str:
    """`github.com/dapr/dapr/pkg/actors/engine.(*engine).Call` → `dapr/pkg/actors`; another
    module by its name (`grpc`, `x/net`, `modernc.org/sqlite`); the standard library by
    package, the runtime's internals as `runtime`."""
    path = function.split(".(", 1)[0]
    head, _, last = path.rpartition("/")
    parts = (f"{head}/{last.split('.', 1)[0]}" if head else path.split(".", 1)[0]).split("/")
    if parts[0] == "github.com" and len(parts) >= 3:
        return "/".join(parts[2:5] if parts[3:4] == ["pkg"] else parts[2:3])
    if parts[0] in ("google.golang.org", "go.opentelemetry.io"):
        return parts[1]
    if parts[0] == "golang.org":
        return "/".join(parts[1:3])
    if "." in parts[0]:
        return "/".join(parts[:2])
    if parts[0] == "runtime" or parts[:2] == ["internal", "runtime"]:
        return "runtime"
    return (
        "/".join(parts[:2]) if parts[0] in ("net", "encoding", "crypto", "internal") else parts[0]
    )


def python_areas(raw: str) -> tuple[list[Area], list[tuple[str, float]], int]:
    """py-spy's collapsed stacks (`root;...;leaf count`) as areas and the hottest frames."""
    own, anywhere, leaves = Counter[str](), Counter[str](), Counter[str]()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count, frames = int(count_text), stack.split(";")
        total += count
        own[python_area(frames[-1])] += count
        leaves[frames[-1]] += count
        for area in {python_area(frame) for frame in frames}:
            anywhere[area] += count
    return _areas(own, anywhere, total), _top(leaves, total), total


def go_areas(top_text: str) -> tuple[list[Area], list[tuple[str, float]], int]:
    """`go tool pprof -top` (flat and cumulative per function) as areas by flat time, the
    functions with the most cumulative time, and the number of samples."""
    own, cumulative = Counter[str](), Counter[str]()
    row = re.compile(r"^\s*([\d.]+)(\w+)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)(\w+)\s+[\d.]+%\s+(.+)$")
    total_found = re.search(r"of ([\d.]+)(\w+) total", top_text)
    total_ms = _ms(total_found.group(1), total_found.group(2)) if total_found else 0.0
    for line in top_text.splitlines():
        found = row.match(line)
        if found:
            flat, flat_unit, cum, cum_unit, function = found.groups()
            own[go_area(function)] += round(_ms(flat, flat_unit))
            cumulative[function] = round(_ms(cum, cum_unit))
    anywhere = Counter[str]()  # pprof's cumulative figures do not add up across functions
    samples = round(total_ms)
    dapr = Counter({f: ms for f, ms in cumulative.items() if "github.com/dapr/" in f})
    return _areas(own, anywhere, samples), _top(dapr, samples), samples


def _ms(value: str, unit: str) -> float:
    return float(value) * {"s": 1000.0, "ms": 1.0, "us": 0.001, "µs": 0.001, "ns": 1e-6}[unit]


def _areas(own: Counter[str], anywhere: Counter[str], total: int) -> list[Area]:
    names = {name for name, _ in own.most_common(TOP)} | {n for n, _ in anywhere.most_common(TOP)}
    areas = [
        Area(name, _percent(own[name], total), _percent(anywhere[name], total)) for name in names
    ]
    return sorted(areas, key=lambda a: (a.self_percent, a.inclusive_percent), reverse=True)


def _top(counts: Counter[str], total: int) -> list[tuple[str, float]]:
    return [(name, _percent(count, total)) for name, count in counts.most_common(TOP)]


def _percent(part: float, total: float) -> float:
    return round(100 * part / total, 1) if total else 0.0


class Sampler:
    """py-spy on one app process for the window; it stops itself when the window ends."""

    def __init__(self, running: RunningApp, seconds: float, out: Path) -> None:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        assert running.app.popen is not None
        self.out = out
        self.process = subprocess.Popen(
            [
                py_spy, "record", "--pid", str(running.app.popen.pid), "--rate",
                str(SAMPLE_RATE), "--duration", str(round(seconds)), "--format", "raw",
                "--gil", "--nonblocking", "--output", str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip

    def result(self) -> str:
        try:
            _, error = self.process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGINT)
            _, error = self.process.communicate(timeout=30)
        if self.process.returncode != 0 or not self.out.exists():
            raise RuntimeError(f"py-spy failed: {error.decode(errors='replace').strip()}")
        return self.out.read_text()


class SidecarProfile:
    """daprd's CPU profile for the window, fetched on a thread while the load runs."""

    def __init__(self, running: RunningApp, seconds: float, out: Path) -> None:
        self.out, self.error = out, ""
        url = f"http://127.0.0.1:{running.spec.profile_port}/debug/pprof/profile"
        self.thread = threading.Thread(target=self._fetch, args=(url, round(seconds)))
        self.thread.start()

    def _fetch(self, url: str, seconds: int) -> None:
        try:
            answer = httpx.get(url, params={"seconds": seconds}, timeout=seconds + 60)
            answer.raise_for_status()
            self.out.write_bytes(answer.content)
        except httpx.HTTPError as error:
            self.error = str(error)

    def result(self) -> str:
        self.thread.join(timeout=180)
        if self.error or not self.out.exists():
            raise RuntimeError(f"daprd's pprof server did not answer: {self.error}")
        go = shutil.which("go")
        if go is None:
            raise RuntimeError("reading daprd's profile needs Go: install it, as for make runtime")
        top = [go, "tool", "pprof", "-top", "-nodecount=400", "-nodefraction=0", str(self.out)]
        return subprocess.run(top, capture_output=True, text=True, check=True).stdout


async def repeat(round_of: Round, orders: RunningApp, seconds: float) -> int:
    """Rounds of the load until the window is covered, at most MAX_ROUNDS; the operations."""
    operations, ends = 0, time.monotonic() + seconds
    for _ in range(MAX_ROUNDS):
        if time.monotonic() >= ends:
            break
        operations += await round_of(orders)
    return operations


def profile_window(stack: Stack, name: str, round_of: Round, seconds: float) -> dict[str, Any]:
    folder = ARTIFACTS / re.sub(r"\W+", "-", name.split(",")[0]).strip("-").lower()
    folder.mkdir(parents=True, exist_ok=True)
    orders, apps = stack.apps["orders"], (stack.apps["orders"], stack.apps["payments"])
    with measured(stack) as usage:
        samplers = {app.name: Sampler(app, seconds, folder / f"{app.name}.txt") for app in apps}
        sidecar = SidecarProfile(orders, seconds, folder / "daprd-orders.pb.gz")
        operations = asyncio.run(repeat(round_of, orders, seconds))
        raw = {app: sampler.result() for app, sampler in samplers.items()}
        sidecar_top = sidecar.result()
    (folder / "daprd-orders.top.txt").write_text(sidecar_top)
    profiles = {app: python_areas(text) for app, text in raw.items()}
    profiles["daprd-orders"] = go_areas(sidecar_top)
    return {
        "window": name,
        "seconds": seconds,
        "operations": operations,
        "cpu_ms_per_op": usage.per_op_ms(operations),
        "service_cpu_ms_per_op": usage.total_ms(operations),
        "profiles": {
            process: {
                "samples": samples,
                "areas": [asdict(area) for area in areas],
                "hottest": hottest,
            }
            for process, (areas, hottest, samples) in profiles.items()
        },
    }


def to_markdown(windows: list[dict[str, Any]]) -> str:
    parts = ["# Where the CPU goes\n\n"
             f"py-spy at {SAMPLE_RATE} Hz on each app (`--gil`: the thread running Python code; "
             "`--nonblocking`), daprd's pprof CPU profile "
             "on the orders sidecar; self = the running frame's code, inclusive = anywhere on "
             "the stack; percentages of the process's samples. An app's self time at "
             "`Runner.run` is asyncio's C code (tasks, futures, callbacks), which has no Python "
             "frame of its own. Raw profiles: "
             "`.data/artifacts/bench-profiles/`.\n"]  # fmt: skip
    for window in windows:
        cpu = ", ".join(f"{k} {v}" for k, v in sorted(window["cpu_ms_per_op"].items()))
        parts.append(
            f"\n## {window['window']}: {window['operations']} operations in "
            f"{window['seconds']:.0f} s or more\n\nCPU ms per operation (all processes "
            f"{window['service_cpu_ms_per_op']}): {cpu}\n"
        )
        for process, found in window["profiles"].items():
            go = process.startswith("daprd")
            parts.append(f"\n**{process}** ({found['samples']} {'ms' if go else 'samples'})\n\n")
            parts.append("| area | self % |" + ("" if go else " inclusive % |") + "\n")
            parts.append("|---|---|" + ("" if go else "---|") + "\n")
            for area in found["areas"]:
                tail = "" if go else f" {area['inclusive_percent']} |"
                parts.append(f"| {area['name']} | {area['self_percent']} |{tail}\n")
            label = "dapr functions by cumulative %" if go else "hottest frames, self %"
            hottest = "; ".join(f"`{name}` {share}" for name, share in found["hottest"][:8])
            parts.append(f"\n{label}: {hottest}\n")
    return "".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="short windows; checks it still runs")
    args = parser.parse_args()
    seconds = 3.0 if args.smoke else 20.0
    with bench_stack("bench-profiles-", ORDERS_ENV, profile_port=free_port()) as (stack, orders):
        asyncio.run(sign_in(orders))
        asyncio.run(checkout_round(orders))  # warm: actors active, connections open
        rounds = asyncio.run(windows_for(orders, seconds))
        windows = [
            profile_window(stack, name, round_of, seconds) for name, round_of in rounds.items()
        ]
    markdown = to_markdown(windows)
    print(markdown)
    if not args.smoke:
        save_results(f"{profile()}-profiles", windows, markdown)


if __name__ == "__main__":
    main()
