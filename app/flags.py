"""Feature flags: typed values an operator changes while the service runs.

Each flag is a key of the configuration store (or, on the embedded profile, of the state
store; app/flag_sources.py) holding text, such as `3` or `false`. `Flags` keeps the values in
force: the defaults until the first read, then the last values read, also while the store is
out of reach. A value that does not parse as its flag's type (or breaks its bounds) counts as
absent, so its flag takes its default, and says so in one warning.
"""

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Log(Protocol):
    """Where flag changes and refused values are told (structlog here; tests pass their own)."""

    def info(self, event: str, **fields: Any) -> Any: ...

    def warning(self, event: str, **fields: Any) -> Any: ...


log: Log = structlog.get_logger(__name__)

# What the order body allows anyway (50 lines of at most 1,000 units): no limit of its own.
UNLIMITED_ITEMS = 50 * 1000


class FlagValues(BaseModel):
    """The flags and their defaults, which are the service's behaviour without flags."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The most units one order may hold: the sum of its lines' quantities.
    max_items_per_order: int = Field(UNLIMITED_ITEMS, ge=1)
    # Whether a payment that needs the customer's action (`tok_action`) may wait for it;
    # when false, such an order is cancelled (`payment_action_not_allowed`) and the charge voided.
    payment_action_may_wait: bool = True


FLAG_KEYS: tuple[str, ...] = tuple(FlagValues.model_fields)


class TooManyItems(Exception):
    """An order over `max_items_per_order`: refused before anything is reserved or started."""

    def __init__(self, items: int, limit: int) -> None:
        super().__init__(
            f"An order may hold at most {limit} items (the sum of its quantities); "
            f"this one holds {items}."
        )
        self.items, self.limit = items, limit


def enforce_max_items(quantities: Iterable[int], flags: FlagValues) -> None:
    items = sum(quantities)
    if items > flags.max_items_per_order:
        raise TooManyItems(items, flags.max_items_per_order)


class Flags:
    """The values in force, changed by whatever reads the store (`apply`)."""

    def __init__(self, log: Log = log) -> None:
        self._log = log
        self._values = FlagValues()
        # The text last applied per key: the same text again (a periodic re-read) is no change.
        self._texts: dict[str, str] = {}

    @property
    def values(self) -> FlagValues:
        return self._values

    def apply(self, texts: Mapping[str, str]) -> None:
        """Takes what the store holds for some keys; empty text means the key is absent.
        Keys that name no flag are ignored."""
        for key, text in texts.items():
            text = text.strip()
            if key not in FLAG_KEYS or self._texts.get(key, "") == text:
                continue
            self._texts[key] = text
            self._values = self._values.model_copy(update={key: self._parse(key, text)})
            self._log.info("flag changed", flag=key, value=getattr(self._values, key))

    def _parse(self, key: str, text: str) -> Any:
        default = FlagValues.model_fields[key].default
        if not text:
            return default
        try:
            return getattr(FlagValues.model_validate({key: text}), key)
        except ValidationError as error:
            reason = error.errors()[0]["msg"]
            self._log.warning(
                "flag value refused; its default applies",
                flag=key,
                value=text,
                reason=reason,
                default=default,
            )
            return default
