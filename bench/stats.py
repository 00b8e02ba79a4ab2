"""Latency and rate figures for a run of timed calls."""

import statistics
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Figures:
    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    # The rate a fixed-rate run asked for; its figures mean something only if it was held.
    offered_rate: float | None = None
    # Percentiles a tool reported instead of each latency (wrk: 50, 75, 90, 99).
    reported: dict[int, float] | None = None
    # CPU milliseconds per operation, by process, from the same run (bench.cpu).
    cpu_ms: dict[str, float] | None = None

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if self.reported:
            if q in self.reported:
                return self.reported[int(q)]
            low = max(p for p in self.reported if p < q)
            high = min(p for p in self.reported if p > q)
            share = (q - low) / (high - low)
            return self.reported[low] + share * (self.reported[high] - self.reported[low])
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def row(self) -> dict[str, Any]:
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
            **(
                {
                    "cpu_ms_per_op": round(
                        sum(v for k, v in self.cpu_ms.items() if k != "load generator"), 2
                    ),
                    "cpu_ms": self.cpu_ms,
                }
                if self.cpu_ms is not None
                else {}
            ),
        }
