"""Throughput scenarios driven by wrk (Debian's), so the load generator is not what limits
them: a compiled client on a few connections, its own CPU counted with the rest."""

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.stats import Figures

# wrk --latency prints the 50/75/90/99 % latency distribution.
_PERCENTILE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_REQUESTS = re.compile(r"^\s*(\d+) requests in ([\d.]+)(ms|s|m)", re.M)
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is missing: run scripts/install-servers.sh (Debian's wrk)")
    return found


def run_wrk(
    name: str,
    url: str,
    *,
    seconds: float,
    connections: int = 8,
    headers: dict[str, str] | None = None,
) -> Figures:
    """GETs of `url` for `seconds` on `connections` connections (2 threads)."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "headers.lua"
        lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items()]
        script.write_text("\n".join(lines) + "\n")
        done = subprocess.run(
            [
                wrk_path(),
                "-t2",
                f"-c{connections}",
                f"-d{seconds:.0f}s",
                "--latency",
                "-s",
                str(script),
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    out = done.stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{name}: wrk got error answers:\n{out}")
    count, elapsed, unit = _REQUESTS.search(out).groups()  # type: ignore[union-attr]
    duration_s = float(elapsed) * _SCALE[unit] / 1000
    percentiles = {int(q): float(v) * _SCALE[u] for q, v, u in _PERCENTILE.findall(out)}
    # wrk reports a distribution, not each latency: the figure carries its percentiles.
    return Figures(name, int(count), duration_s, [], reported=percentiles)
