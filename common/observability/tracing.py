"""OpenTelemetry: a span per request (FastAPI), W3C trace context on every call to the sidecar
(httpx for HTTP, gRPC for building blocks and workflows), and spans for workflow activities,
which the Dapr SDK starts as children of the trace that scheduled the saga."""

import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
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
    FastAPIInstrumentor.instrument_app(app, excluded_urls=UNTRACED_URLS)


def shutdown_tracing() -> None:
    """Flushes spans still waiting in the batch."""
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.force_flush(timeout_millis=5_000)
