"""OpenTelemetry: a span per request (FastAPI's own telemetry), W3C trace context on every call
to the sidecar (httpx for HTTP, gRPC for building blocks and workflows), and spans for workflow
activities, which the Dapr SDK starts as children of the trace that scheduled the saga."""

import os
from collections.abc import MutableMapping
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import GrpcAioInstrumentorClient
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from common.observability.settings import trace_export_configured

# Probes and scrapes every few seconds would drown the traces that matter.
_UNTRACED_PREFIXES = ("/health/", "/metrics")


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return str(scope.get("path", "")).startswith(_UNTRACED_PREFIXES)


# FastAPI's own telemetry: one server span per request, named after the matched route.
# Prometheus keeps the HTTP metrics and structlog the logs; spans per dependency and
# serialisation would cost more than the request they describe.
TELEMETRY: TelemetryConfig = {
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "exclude": _untraced,
}
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


def shutdown_tracing() -> None:
    """Flushes spans still waiting in the batch."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5_000)
