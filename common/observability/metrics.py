"""Prometheus: per-route request rate, errors and duration, served at /metrics on the app's
port (the sidecar's own metrics stay on its port). Each app registers its business metrics in
its own modules, so one app's counters never show up in another's /metrics."""

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

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
