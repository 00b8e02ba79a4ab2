"""Log processing without a sidecar: secrets are masked, trace ids are added."""

from opentelemetry.sdk.trace import TracerProvider

from common.observability.logs import REDACTED, add_trace_ids, redact_secrets

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl"


def test_sensitive_fields_and_credentials_inside_messages_are_masked() -> None:
    event = redact_secrets(
        None,
        "info",
        {
            "event": f"calling with Authorization: Bearer {JWT} and dapr-api-token: abc123",
            "password": "hunter2",
            "refresh_token": JWT,
            "Authorization": "Bearer x",
            "order_id": "o-1",
        },
    )

    assert JWT not in event["event"] and "abc123" not in event["event"]
    assert event["password"] == event["refresh_token"] == event["Authorization"] == REDACTED
    assert event["order_id"] == "o-1"


def test_lines_logged_inside_a_span_carry_its_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        event = add_trace_ids(None, "info", {"event": "x"})

    assert event["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert event["span_id"] == format(span.get_span_context().span_id, "016x")
    assert "trace_id" not in add_trace_ids(None, "info", {"event": "outside"})
