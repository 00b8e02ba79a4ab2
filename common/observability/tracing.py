"""OpenTelemetry: a span per request (FastAPI), W3C trace context on every call to the sidecar
(httpx for HTTP, gRPC for building blocks and workflows), and spans for workflow activities,
which the Dapr SDK starts as children of the trace that scheduled the saga."""

import os
from typing import Any

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from common.observability.settings import trace_export_configured

# Probes and scrapes every few seconds would drown the traces that matter.
UNTRACED_URLS = "/health/.*,/metrics"
_configured = False


def configure_tracing(service: str) -> None:
    """Once per process. Spans are always made, so logs carry trace ids; they are exported
    only when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set."""
    global _configured
    if _configured:
        return
    # Resource.create adds OTEL_RESOURCE_ATTRIBUTES; OTEL_SERVICE_NAME renames the service.
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = TracerProvider(resource=resource)
    if trace_export_configured():
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    HTTPXClientInstrumentor().instrument()
    # Only the asyncio channels: the workflow worker's sync channel holds one endless stream.
    GrpcAioInstrumentorClient().instrument()  # type: ignore[no-untyped-call]
    _configured = True


def instrument(app: FastAPI) -> None:
    """One server span per request, around everything else. FastAPI's instrumentor would
    match every route again to name it; RequestContextMiddleware names the span after the
    route the app matched instead. No spans for each ASGI receive and send."""
    app.add_middleware(
        OpenTelemetryMiddleware,
        excluded_urls=UNTRACED_URLS,
        exclude_spans=["receive", "send"],
        default_span_details=_method_only,
    )


def _method_only(scope: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return str(scope.get("method", "HTTP")), {}


def shutdown_tracing() -> None:
    """Flushes spans still waiting in the batch."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5_000)
