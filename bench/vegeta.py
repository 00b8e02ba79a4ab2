"""Fixed-rate scenarios driven by vegeta (built from its Go module by `make tools`): an open
loop that sends request n at n / rate whatever the earlier ones do, compiled, so neither a
slow answer nor the generator's own pauses hide in the figures. The asyncio generator this
replaced stalled for seconds at 300/s on its own (its direct baseline's p99 above the
sidecar's)."""

import asyncio
import json
import tempfile
from pathlib import Path

from bench.stats import Figures
from devstack.runtime import PROJECT_ROOT

VEGETA = PROJECT_ROOT / ".tools" / "bin" / "vegeta"
_NS_PER_MS = 1_000_000
_PERCENTILES = {50: "50th", 90: "90th", 95: "95th", 99: "99th"}


def vegeta_path() -> Path:
    if not VEGETA.exists():
        raise RuntimeError("vegeta is missing: run `make tools` (it builds it from its Go module)")
    return VEGETA


async def _run(*argv: str, stdin: bytes = b"", timeout: float) -> bytes:
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"{argv[0]} {argv[1]} failed: {err.decode().strip()}")
    return out


async def at_fixed_rate(
    name: str, url: str, *, rate: float, seconds: float, headers: dict[str, str] | None = None
) -> Figures:
    """GETs of `url` at `rate` a second for `seconds`; any failed request fails the run."""
    vegeta = str(vegeta_path())
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.bin"
        await _run(
            vegeta,
            "attack",
            f"-rate={rate:g}/s",
            f"-duration={seconds:g}s",
            "-timeout=10s",
            f"-output={results}",
            *(f"-header={key}: {value}" for key, value in (headers or {}).items()),
            stdin=f"GET {url}\n".encode(),
            timeout=seconds + 60,
        )
        report = json.loads(await _run(vegeta, "report", "-type=json", str(results), timeout=60))
    if report["success"] < 1:
        raise RuntimeError(f"{name}: vegeta got failed answers: {report['status_codes']}")
    latencies = report["latencies"]
    return Figures(
        name,
        report["requests"],
        # From the first request sent to the last answer received.
        (report["duration"] + report["wait"]) / 1e9,
        [],
        offered_rate=rate,
        reported={q: latencies[key] / _NS_PER_MS for q, key in _PERCENTILES.items()},
    )
