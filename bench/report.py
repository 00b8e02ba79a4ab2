"""The results table, the same-run ratios, and each figure against the issue's target."""

import json
from typing import Any

from bench.cpu import GENERATOR
from devstack.runtime import PROJECT_ROOT

RESULTS = PROJECT_ROOT / "bench" / "results"

Row = dict[str, Any]
Check = tuple[str, Any, bool]


def row(rows: list[Row], prefix: str) -> Row:
    return next(r for r in rows if r["name"].startswith(prefix))


def ratios(rows: list[Row]) -> dict[str, float]:
    def added(figure: str, baseline: str, field: str) -> float:
        return round(float(row(rows, figure)[field]) - float(row(rows, baseline)[field]), 2)

    def rate(figure: str, baseline: str) -> float:
        return round(
            float(row(rows, figure)["per_second"]) / float(row(rows, baseline)["per_second"]), 2
        )

    return {
        "B1 added p50 ms (closed loop)": added(
            "B1 service invocation", "B1 baseline: direct to", "p50_ms"
        ),
        "B1 added p50 ms (fixed rate)": added(
            "B1 service invocation,", "B1 baseline: direct,", "p50_ms"
        ),
        "B1 added p99 ms (fixed rate)": added(
            "B1 service invocation,", "B1 baseline: direct,", "p99_ms"
        ),
        "B2 actor/state rate": rate("B2 actor Reserve", "B2 baseline"),
        "B3/B2 p99": round(row(rows, "B3")["p99_ms"] / row(rows, "B2 actor")["p99_ms"], 2),
        "B4 saga/plain-calls rate": rate("B4 checkout (client", "B4 baseline"),
        "B5 handler/publish p95": round(
            row(rows, "B5 publish →")["p95_ms"] / max(row(rows, "B5 baseline")["p95_ms"], 0.01), 2
        ),
    }


# A fixed-rate run that finished below this share of its offered rate fell behind (the
# service or the load generator), so its latencies say nothing about the target.
HELD_SHARE = 0.9


def rate_not_held(*fixed_rate_rows: Row) -> str | None:
    for r in fixed_rate_rows:
        if r["per_second"] < HELD_SHARE * r["offered_per_second"]:
            return f"rate not held: {r['name']} ran {r['per_second']}/s"
    return None


def baseline_stalled(baseline: Row, figure: Row) -> str | None:
    """A baseline slower at p99 than the figure it is the baseline of stalled on its own (a
    run of this machine's loopback held requests for seconds while the app answered each in
    under 25 ms): what the figure adds cannot be read from it."""
    if baseline["p99_ms"] > figure["p99_ms"]:
        return f"baseline stalled: {baseline['name']} p99 {baseline['p99_ms']} ms"
    return None


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows, r = result["rows"], result["ratios"]
    b2, b3 = row(rows, "B2 actor"), row(rows, "B3")
    b4, b4_saga, b5 = (
        row(rows, "B4 checkout (client"),
        row(rows, "B4 checkout saga"),
        row(rows, "B5 publish →"),
    )
    b1_baseline, b1 = row(rows, "B1 baseline: direct,"), row(rows, "B1 service invocation,")
    b1_fell_behind = rate_not_held(b1_baseline, b1) or baseline_stalled(b1_baseline, b1)
    b5_fell_behind = rate_not_held(row(rows, "B5 baseline"), b5)

    def at_fixed_rate(target: str, measured: float, met: bool, fell_behind: str | None) -> Check:
        return (target, fell_behind, False) if fell_behind else (target, measured, met)

    b2_spread, b0_me, b0_item = (
        row(rows, "B2 actor Reserve over"),
        row(rows, "B0 GET /api/v1/users/me"),
        row(rows, "B0 GET /api/v1/items/"),
    )
    b4_cpu = b4.get("cpu_ms_per_op", float("inf"))
    me_app = b0_me["cpu_ms"].get("orders", float("inf"))
    item_app = b0_item["cpu_ms"].get("orders", float("inf"))
    checks = [
        ("B4 ≥ 20 sagas/s (10 in flight)", b4["per_second"], b4["per_second"] >= 20),
        ("B4 saga p95 ≤ 1000 ms", b4_saga["p95_ms"], b4_saga["p95_ms"] <= 1000),
        ("B4 CPU per checkout, all processes ≤ 80 ms", b4_cpu, b4_cpu <= 80),
        ("B2 over 100 SKUs ≥ 500 calls/s", b2_spread["per_second"], b2_spread["per_second"] >= 500),
        ("B2 over 100 SKUs p99 ≤ 25 ms", b2_spread["p99_ms"], b2_spread["p99_ms"] <= 25),
        ("B2 one hot SKU p50 ≤ 5 ms", b2["p50_ms"], b2["p50_ms"] <= 5),
        ("B3 activation p90 ≤ 10 ms", b3["p90_ms"], b3["p90_ms"] <= 10),
        at_fixed_rate(
            "B1 added p99 at a held 300/s ≤ 5 ms",
            r["B1 added p99 ms (fixed rate)"],
            r["B1 added p99 ms (fixed rate)"] <= 5,
            b1_fell_behind,
        ),
        ("B0 app CPU per authenticated request ≤ 0.5 ms", me_app, me_app <= 0.5),
        ("B0 app CPU per GET /items/{sku} ≤ 1.5 ms", item_app, item_app <= 1.5),
        at_fixed_rate(
            "B5 publish→handler p95 ≤ 50 ms", b5["p95_ms"], b5["p95_ms"] <= 50, b5_fell_behind
        ),
    ]
    soak = result["memory"].get("soak")
    if soak:
        worst = max(soak["growth_percent"].values())
        checks.append(("B6 RSS growth over the soak < 10 %", worst, worst < 10))
    return [{"target": t, "measured": v, "met": bool(ok)} for t, v, ok in checks]


STEP_PREFIX = "B4 step: "


def checkout_cost(rows: list[Row]) -> list[tuple[str, float]]:
    """A checkout's CPU (all processes, ms) by step, and what the full saga adds to their sum:
    the API request and the workflow engine."""
    steps = [
        (r["name"].removeprefix(STEP_PREFIX), r["cpu_ms_per_op"])
        for r in rows
        if r["name"].startswith(STEP_PREFIX)
    ]
    if not steps:
        return []
    whole = row(rows, "B4 checkout (client")["cpu_ms_per_op"]
    parts = round(sum(cost for _, cost in steps), 2)
    return [
        *steps,
        ("the API request and the workflow engine (B4 minus the steps)", round(whole - parts, 2)),
        ("B4: one whole checkout", whole),
    ]


# A load generator busier than this may be what limits a figure, not the service.
GENERATOR_SHARE_LIMIT = 33.0


def generator_share(r: Row) -> str:
    """How much of one core the load generator used during a scenario, flagged when above a
    third: its CPU per operation times operations per second."""
    share = round(r["cpu_ms"].get(GENERATOR, 0.0) * r["per_second"] / 10, 1)
    return f"{share} (generator-bound?)" if share > GENERATOR_SHARE_LIMIT else str(share)


def to_markdown(result: dict[str, Any]) -> str:
    head = (
        "| scenario | count | per s | p50 ms | p90 ms | p95 ms | p99 ms | CPU ms/op |\n"
        "|---|---|---|---|---|---|---|---|\n"
    )
    rows = "".join(
        f"| {r['name']} | {r['count']} | {r['per_second']} | {r['p50_ms']} | {r['p90_ms']} "
        f"| {r['p95_ms']} | {r['p99_ms']} | {r.get('cpu_ms_per_op', '')} |\n"
        for r in result["rows"]
    )
    processes = sorted({name for r in result["rows"] for name in r.get("cpu_ms", {})})
    breakdown = (
        "| scenario | "
        + " | ".join(processes)
        + " | generator, % of a core |\n|---|"
        + "---|" * (len(processes) + 1)
        + "\n"
    )
    breakdown += "".join(
        f"| {r['name']} | "
        + " | ".join(str(r["cpu_ms"].get(p, "")) for p in processes)
        + f" | {generator_share(r)} |\n"
        for r in result["rows"]
        if "cpu_ms" in r
    )
    checks = "".join(
        f"| {t['target']} | {t['measured']} | {'met' if t['met'] else 'missed'} |\n"
        for t in result["targets"]
    )
    cost = "".join(f"| {part} | {ms} |\n" for part, ms in checkout_cost(result["rows"]))
    memory = result["memory"]
    m = result["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"{m['cpus']} x {m['cpu']}, Python {m['python']}, Dapr {m['dapr_runtime']}, profile "
        f"{m['profile']}, load average at start {m['load_average_at_start']}; load generator "
        f"(one asyncio process) CPU {result['load_generator_cpu_percent']} % of one core.",
        "",
        head + rows,
        "CPU ms per operation by process, from /proc in the same run (the load generator "
        "is counted apart; wrk drives the B0 rows):",
        "",
        breakdown,
        "A checkout's CPU step by step (ms, all processes; bench/checkout_steps.py):",
        "",
        "| part | CPU ms |\n|---|---|\n" + cost,
        f"Ratios against the same run's baselines: `{json.dumps(result['ratios'])}`",
        "",
        "| target | measured | |\n|---|---|---|\n" + checks,
        f"B6 memory (RSS MiB): idle `{json.dumps(memory['idle_mib'])}`, after B1-B5 "
        f"`{json.dumps(memory['after_b1_b5_mib'])}`",
    ]
    if "soak" in memory:
        soak = memory["soak"]
        lines[-1] += (
            f"; over a {soak['seconds']:.0f} s soak `{json.dumps(soak['start_mib'])}` → "
            f"`{json.dumps(soak['end_mib'])}`, growth % `{json.dumps(soak['growth_percent'])}`"
        )
    return "\n".join(lines) + "\n"


def save_results(name: str, data: Any, markdown: str) -> None:
    """bench/results/<name>.json and .md, the committed figures of a full run."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown)
