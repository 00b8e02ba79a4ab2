"""Feature flags: typed values from store text, defaults that are today's behaviour, one
warning for a value that does not parse, and the last values kept while the store is away."""

import asyncio
from typing import Any

import pytest

from app.api.models import OrderCreate, OrderLineIn
from app.flag_sources import STATE_PREFIX, Outage, StatePolling, state_text
from app.flags import FLAG_KEYS, Flags, FlagValues, TooManyItems, enforce_max_items
from tests.fakes.flags import FakeBulkState, FakeLog


def bound(metadata: list[Any], name: str) -> int:
    found: int = next(getattr(m, name) for m in metadata if hasattr(m, name))
    return found


def test_the_defaults_are_the_behaviour_without_flags() -> None:
    lines = bound(OrderCreate.model_fields["lines"].metadata, "max_length")
    quantity = bound(OrderLineIn.model_fields["quantity"].metadata, "le")

    assert Flags().values == FlagValues()
    assert FlagValues().max_items_per_order == lines * quantity
    assert FlagValues().payment_action_may_wait is True


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("max_items_per_order", "3", 3),
        ("max_items_per_order", " 12 ", 12),
        ("payment_action_may_wait", "false", False),
        ("payment_action_may_wait", "0", False),
        ("payment_action_may_wait", "no", False),
        ("payment_action_may_wait", "true", True),
    ],
)
def test_store_text_becomes_a_typed_value(key: str, text: str, value: object) -> None:
    flags = Flags()
    flags.apply({key: text})

    assert getattr(flags.values, key) == value


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("max_items_per_order", "three"),
        ("max_items_per_order", "0"),
        ("max_items_per_order", "2.5"),
        ("payment_action_may_wait", "maybe"),
    ],
)
def test_a_malformed_value_takes_the_default_with_one_warning(key: str, text: str) -> None:
    log = FakeLog()
    flags = Flags(log)
    flags.apply({"max_items_per_order": "7", "payment_action_may_wait": "false"})
    flags.apply({key: text})
    flags.apply({key: text})  # a periodic re-read of the same text

    assert getattr(flags.values, key) == getattr(FlagValues(), key)
    warnings = [fields for level, _, fields in log.lines if level == "warning"]
    assert len(warnings) == 1 and warnings[0]["flag"] == key and warnings[0]["value"] == text


def test_an_absent_key_takes_the_default_and_unknown_keys_are_ignored() -> None:
    flags = Flags()
    flags.apply({"max_items_per_order": "3", "colour": "green"})
    flags.apply({"max_items_per_order": ""})

    assert flags.values == FlagValues()


def test_the_limit_counts_units_over_all_lines() -> None:
    flags = FlagValues(max_items_per_order=3)
    enforce_max_items([1, 2], flags)

    with pytest.raises(TooManyItems) as refused:
        enforce_max_items([2, 2], flags)
    assert (refused.value.items, refused.value.limit) == (4, 3)
    assert "at most 3 items" in str(refused.value) and "holds 4" in str(refused.value)


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"3", "3"), (b'"3"', "3"), (b"true", "true"), (b'"false"', "false"), (b"", ""), (b"x", "x")],
)
def test_state_values_read_as_configuration_text(data: bytes, text: str) -> None:
    assert state_text(data) == text


def test_polling_keeps_the_last_values_while_the_store_is_away() -> None:
    state = FakeBulkState({STATE_PREFIX + "max_items_per_order": b"4"})
    log = FakeLog()
    polling, flags, outage = StatePolling(state, "statestore", 1.0), Flags(log), Outage("x", log)
    asyncio.run(polling.poll(flags, outage))
    state.down = True
    for _ in range(3):
        asyncio.run(polling.poll(flags, outage))
    assert flags.values.max_items_per_order == 4
    state.down = False
    state.values.clear()
    asyncio.run(polling.poll(flags, outage))

    assert log.levels() == ["info", "warning", "info", "info"]
    assert "flags keep their last values" in log.lines[1][1]
    assert flags.values == FlagValues()  # the key was deleted meanwhile: its default again


def test_every_flag_has_a_default() -> None:
    assert set(FLAG_KEYS) == set(FlagValues().model_dump())
