"""OpenTelemetry: a span per request (FastAPI's own telemetry), W3C trace context on every call
to the sidecar (httpx for HTTP, gRPC for building blocks and workflows), and spans for workflow
activities, which the Dapr SDK starts as children of the trace that scheduled the saga.

The actor calls and actor state calls, a dozen per checkout, go over channels without OTel's
client interceptor (`plain_grpc_channel`) and carry the trace context in their metadata
(`trace_context`): the sidecar's own span of each call stays in the trace, the app's client
span of it goes, and with it a fifth of what the call costs the app (0.44 → 0.36 ms of CPU)."""

import os
from collections.abc import MutableMapping
from typing import Any

import grpc
from fastapi.telemetry import TelemetryConfig
from opentelemetry import propagate, trace
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
# Taken before configure_tracing makes every grpc.aio channel add OTel's interceptor.
plain_grpc_channel = grpc.aio.insecure_channel


def trace_context() -> tuple[tuple[str, str], ...]:
    """The current span's W3C headers (traceparent, tracestate) as gRPC metadata."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return tuple(carrier.items())


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
