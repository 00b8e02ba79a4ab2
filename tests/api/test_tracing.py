"""One server span per request, named after the route the app matched (the names the trace
backends group by), with no span for each ASGI receive and send."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@pytest.fixture
def finished_spans(api: TestClient) -> Iterator[InMemorySpanExporter]:  # noqa: ARG001
    # `api` first: create_app is what installs the provider.
    provider = trace.get_tracer_provider()
    assert isinstance(provider, TracerProvider), "create_app configures the SDK's provider"
    exporter = InMemorySpanExporter()
    processor = SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    yield exporter
    processor.shutdown()


def test_the_server_span_is_named_after_the_route_template(
    api: TestClient, admin: dict[str, str], finished_spans: InMemorySpanExporter
) -> None:
    api.get("/api/v1/items/no-such-sku", headers=admin)
    api.get("/health/live")

    spans = finished_spans.get_finished_spans()
    server = [s for s in spans if s.kind is trace.SpanKind.SERVER]
    assert [s.name for s in server] == ["GET /api/v1/items/{sku}"]
    assert server[0].attributes is not None
    assert server[0].attributes["http.route"] == "/api/v1/items/{sku}"
    assert server[0].attributes["http.response.status_code"] == 404
    assert not any(s.name.endswith((" send", " receive")) for s in spans)
