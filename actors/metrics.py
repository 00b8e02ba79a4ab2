"""What the actors count: orders by status as the Order actor stores them, and actor calls
that arrived while the app still ran the actor's last call, or waited for it too long."""

from datetime import datetime

from prometheus_client import Counter, Histogram

ORDERS_PLACED = Counter("orders_placed", "Orders placed; a checkout saga drives each.")
ORDERS_CONFIRMED = Counter("orders_confirmed", "Orders whose saga confirmed them.")
ORDERS_CANCELLED = Counter("orders_cancelled", "Orders cancelled, by reason.", ["reason"])
SAGA_DURATION = Histogram(
    "checkout_saga_duration_seconds",
    "From placing an order to its confirmation or cancellation.",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)
STALE_TURNS = Counter(
    "actor_stale_turns",
    "Actor turns refused at their save: another activation had saved in the meantime.",
    ["actor_type"],
)
ACTOR_TURNS_OVERLAPPED = Counter(
    "actor_turns_overlapped",
    "Actor calls daprd sent while the app still ran the actor's last call, which they wait for.",
    ["actor_type"],
)
ACTOR_CALLS_ABANDONED = Counter(
    "actor_calls_abandoned",
    "Actor calls not run: they waited for the actor's turn longer than their callers wait.",
    ["actor_type"],
)


def order_stored(status: str, reason: str | None, placed_at: str, at: str) -> None:
    """Counted by the Order actor when it stores a new status: once per order and status,
    however often the request or the saga's activity that asked for it is retried."""
    if status == "pending":
        ORDERS_PLACED.inc()
        return
    if status == "confirmed":
        ORDERS_CONFIRMED.inc()
    else:
        ORDERS_CANCELLED.labels(reason or "unknown").inc()
    elapsed = datetime.fromisoformat(at) - datetime.fromisoformat(placed_at)
    SAGA_DURATION.labels(status).observe(max(0.0, elapsed.total_seconds()))
