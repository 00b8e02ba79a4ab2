"""CloudEvents as other publishers send them: structured and binary mode from the cloudevents
SDK, a raw payload, and what is refused with a reason."""

import json

import pytest
from cloudevents.core.bindings.http import HTTPMessage, to_binary, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from common.events import PLAIN_PAYLOAD_TYPE, InvalidEvent, new_event, read_event

SHIPMENT = {"sku": "tea", "quantity": 10, "shipment_id": "ship-1"}


def third_party_event() -> CloudEvent:
    """What a warehouse built with the cloudevents SDK sends: its own id, source and an
    extension attribute of its own."""
    return CloudEvent(
        {
            "id": "wh-7f3a",
            "source": "urn:warehouse:berlin",
            "type": "inventory.restocked",
            "datacontenttype": "application/json",
            "subject": "tea",
            "warehouseregion": "eu",
        },
        SHIPMENT,
    )


def headers_of(message: HTTPMessage) -> dict[str, str]:
    """As a web framework hands them over: lower-case names."""
    return {name.lower(): value for name, value in message.headers.items()}


@pytest.mark.parametrize("mode", [to_structured, to_binary])
def test_a_third_party_event_is_read_in_either_content_mode(mode: object) -> None:
    message = mode(third_party_event(), JSONFormat())  # type: ignore[operator]

    event = read_event(headers_of(message), message.body)

    assert event.get_id() == "wh-7f3a"
    assert event.get_source() == "urn:warehouse:berlin"
    assert event.get_type() == "inventory.restocked"
    assert event.get_extension("warehouseregion") == "eu"
    data = event.get_data()
    assert (json.loads(data) if isinstance(data, bytes) else data) == SHIPMENT


def test_binary_mode_names_its_attributes_in_headers() -> None:
    message = to_binary(third_party_event(), JSONFormat())

    assert headers_of(message)["ce-id"] == "wh-7f3a"
    assert headers_of(message)["content-type"] == "application/json"
    assert json.loads(message.body) == SHIPMENT


def test_our_own_events_read_back_as_they_were_built() -> None:
    document = new_event(
        "inventory.item_updated", "tea:3", {"sku": "tea"}, "2026-12-02T10:00:00", "inventory"
    )
    body = json.dumps(document).encode()

    event = read_event({"content-type": "application/cloudevents+json"}, body)

    assert (event.get_id(), event.get_type(), event.get_source()) == (
        "tea:3",
        "inventory.item_updated",
        "inventory",
    )
    # A time without an offset is UTC.
    assert document["time"].startswith("2026-12-02T10:00:00") and document["time"].endswith("Z")


def test_the_same_change_makes_the_same_event_id() -> None:
    first = new_event("order.confirmed", "o1:confirmed", {}, "2026-12-02T10:00:00Z", "orders")
    again = new_event("order.confirmed", "o1:confirmed", {}, "2026-12-02T10:00:00Z", "orders")

    assert first == again


def test_a_raw_payload_becomes_a_plain_event_whose_id_is_its_content() -> None:
    body = json.dumps(SHIPMENT).encode()
    headers = {"rawpayload": "true", "pubsubname": "pubsub"}

    first, again = read_event(headers, body), read_event(headers, body)

    assert first.get_type() == PLAIN_PAYLOAD_TYPE
    assert first.get_id() == again.get_id()
    assert first.get_source() == "rawpayload/pubsub"


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"content-type": "application/cloudevents+json"}, b"not json"),
        (
            {"content-type": "application/cloudevents+json"},
            json.dumps({"specversion": "1.0", "source": "x", "type": "t"}).encode(),
        ),
        (
            {"content-type": "application/cloudevents+json"},
            json.dumps({"specversion": "0.3", "id": "1", "source": "x", "type": "t"}).encode(),
        ),
        ({"content-type": "application/json", "ce-specversion": "1.0", "ce-id": "1"}, b"{}"),
    ],
    ids=["not JSON", "no id", "another specversion", "binary without source and type"],
)
def test_what_is_not_a_cloudevent_1_0_is_refused_with_a_reason(
    headers: dict[str, str], body: bytes
) -> None:
    with pytest.raises(InvalidEvent) as refused:
        read_event(headers, body)

    assert str(refused.value)
