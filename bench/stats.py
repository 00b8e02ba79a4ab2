"""Latency and rate figures for a run of timed calls."""

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    # The rate a fixed-rate run asked for; its figures mean something only if it was held.
    offered_rate: float | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def row(self) -> dict[str, float | str | int]:
        return {
            "name": self.name,
            "count": self.count,
            "per_second": round(self.rate, 1),
            "p50_ms": round(self.percentile(50), 2),
            "p90_ms": round(self.percentile(90), 2),
            "p95_ms": round(self.percentile(95), 2),
            "p99_ms": round(self.percentile(99), 2),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 2) if self.latencies_ms else 0,
            **({"offered_per_second": self.offered_rate} if self.offered_rate else {}),
        }
