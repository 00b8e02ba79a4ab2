"""An order: lines priced when placed, and a status that only moves forward.

Times are passed in (ISO 8601 strings); the domain never reads a clock.
"""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from domain.errors import IllegalTransition, InvalidOrder


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price_cents: int

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_price_cents


@dataclass(frozen=True)
class Transition:
    status: OrderStatus
    at: str
    reason: str | None = None


@dataclass(frozen=True)
class OrderEvent:
    type: str  # order.placed, order.confirmed, order.cancelled
    order_id: str
    customer_id: str
    status: OrderStatus
    total_cents: int
    reason: str | None = None


@dataclass
class Order:
    id: str
    customer_id: str
    lines: list[OrderLine]
    status: OrderStatus = OrderStatus.PENDING
    status_reason: str | None = None
    history: list[Transition] = field(default_factory=list)
    events: list[OrderEvent] = field(default_factory=list, compare=False)

    @classmethod
    def place(cls, order_id: str, customer_id: str, lines: list[OrderLine], at: str) -> "Order":
        if not lines:
            raise InvalidOrder("an order needs at least one line")
        if len({line.sku for line in lines}) != len(lines):
            raise InvalidOrder("each SKU may appear on one line only")
        if any(line.quantity <= 0 or line.unit_price_cents < 0 for line in lines):
            raise InvalidOrder("quantities must be positive and prices not negative")
        order = cls(order_id, customer_id, list(lines))
        order._move(OrderStatus.PENDING, at, None, "order.placed")
        return order

    @property
    def created_at(self) -> str:
        return self.history[0].at

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    @property
    def is_final(self) -> bool:
        return self.status is not OrderStatus.PENDING

    def confirm(self, at: str) -> None:
        """Idempotent: confirming a confirmed order changes nothing."""
        if self.status is OrderStatus.CONFIRMED:
            return
        if self.status is OrderStatus.CANCELLED:
            raise IllegalTransition(f"order {self.id} is cancelled ({self.status_reason})")
        self._move(OrderStatus.CONFIRMED, at, None, "order.confirmed")

    def cancel(self, reason: str, at: str) -> None:
        """Idempotent: a cancelled order keeps its first reason."""
        if self.status is OrderStatus.CANCELLED:
            return
        if self.status is OrderStatus.CONFIRMED:
            raise IllegalTransition(f"order {self.id} is already confirmed")
        self._move(OrderStatus.CANCELLED, at, reason, "order.cancelled")

    def _move(self, status: OrderStatus, at: str, reason: str | None, event: str) -> None:
        self.status, self.status_reason = status, reason
        self.history.append(Transition(status, at, reason))
        self.events.append(
            OrderEvent(event, self.id, self.customer_id, status, self.total_cents, reason)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "customer_id": self.customer_id,
            "lines": [asdict(line) for line in self.lines],
            "status": self.status.value,
            "status_reason": self.status_reason,
            "history": [
                {"status": t.status.value, "at": t.at, "reason": t.reason} for t in self.history
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Order":
        return cls(
            id=data["id"],
            customer_id=data["customer_id"],
            lines=[OrderLine(**line) for line in data["lines"]],
            status=OrderStatus(data["status"]),
            status_reason=data["status_reason"],
            history=[
                Transition(OrderStatus(t["status"]), t["at"], t["reason"]) for t in data["history"]
            ],
        )
