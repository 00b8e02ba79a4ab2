"""Prometheus metrics: per-route request rate, errors and duration, and what the business
does. Served at /metrics on the app's port; the sidecar's own metrics stay on its port."""

from datetime import datetime

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

HTTP_REQUESTS = Counter(
    "http_requests",
    "Requests answered, by route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "http_request_duration_seconds", "Time to answer a request.", ["method", "route"]
)
ORDERS_PLACED = Counter("orders_placed", "Orders placed; a checkout saga drives each.")
ORDERS_CONFIRMED = Counter("orders_confirmed", "Orders whose saga confirmed them.")
ORDERS_CANCELLED = Counter("orders_cancelled", "Orders cancelled, by reason.", ["reason"])
SAGA_DURATION = Histogram(
    "checkout_saga_duration_seconds",
    "From placing an order to its confirmation or cancellation.",
    ["outcome"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900),
)
SAGAS_REVIVED = Counter(
    "checkout_sagas_revived",
    "Pending orders found without a running saga, by what revived it (started, woken, restarted).",
    ["how"],
)
ACTOR_TURNS_OVERLAPPED = Counter(
    "actor_turns_overlapped",
    "Actor calls daprd sent while the app still ran the actor's last call, which they wait for.",
    ["actor_type"],
)
RESERVATIONS = Counter("stock_reservations", "Reservation attempts, by outcome.", ["outcome"])
EVENTS_CONSUMED = Counter("events_consumed", "Events handled, by topic.", ["topic"])
EVENTS_DROPPED = Counter("events_dropped", "Events dropped as malformed or unusable.", ["topic"])


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


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
