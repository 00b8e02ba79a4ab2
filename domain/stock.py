"""The stock of one SKU: reservations per order, idempotent on the order id and restock ref."""

from dataclasses import dataclass, field
from typing import Any

from domain.errors import NotReserved, OutOfStock, ReservationClosed


@dataclass(frozen=True)
class LowStock:
    sku: str
    available: int
    threshold: int


@dataclass
class Stock:
    sku: str
    available: int = 0
    low_stock_threshold: int = 0
    reservations: dict[str, int] = field(default_factory=dict)
    committed: dict[str, int] = field(default_factory=dict)
    released: dict[str, int] = field(default_factory=dict)
    restocks: dict[str, int] = field(default_factory=dict)
    events: list[LowStock] = field(default_factory=list, compare=False)

    @property
    def reserved(self) -> int:
        return sum(self.reservations.values())

    def reserve(self, order_id: str, quantity: int) -> int:
        """Holds `quantity` for the order; a repeat answers the same and holds nothing more."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if order_id in self.reservations:
            return self.reservations[order_id]
        if order_id in self.released or order_id in self.committed:
            raise ReservationClosed(f"{self.sku}: the reservation of {order_id} is closed")
        if quantity > self.available:
            raise OutOfStock(self.sku, quantity, self.available)
        self._change_available(-quantity)
        self.reservations[order_id] = quantity
        return quantity

    def release(self, order_id: str) -> int:
        """Gives the order's hold back; also closes it, so a late reserve cannot hold again."""
        if order_id in self.committed:
            raise ReservationClosed(f"{self.sku}: {order_id} is committed")
        if order_id in self.released:
            return self.released[order_id]
        quantity = self.reservations.pop(order_id, 0)
        self.released[order_id] = quantity
        self._change_available(quantity)
        return quantity

    def commit(self, order_id: str) -> int:
        """The held units leave the warehouse; a repeat changes nothing."""
        if order_id in self.committed:
            return self.committed[order_id]
        if order_id not in self.reservations:
            raise NotReserved(f"{self.sku}: {order_id} holds nothing to commit")
        self.committed[order_id] = self.reservations.pop(order_id)
        return self.committed[order_id]

    def restock(self, quantity: int, ref: str) -> int:
        """Adds units once per `ref` (a shipment or event id); a repeat adds nothing and
        answers what the first added."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if ref in self.restocks:
            return self.restocks[ref]
        self.restocks[ref] = quantity
        self._change_available(quantity)
        return quantity

    def _change_available(self, delta: int) -> None:
        before = self.available
        self.available += delta
        threshold = self.low_stock_threshold
        if before >= threshold > self.available:
            self.events.append(LowStock(self.sku, self.available, threshold))

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "available": self.available,
            "low_stock_threshold": self.low_stock_threshold,
            "reservations": dict(self.reservations),
            "committed": dict(self.committed),
            "released": dict(self.released),
            "restocks": dict(self.restocks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Stock":
        return cls(
            sku=data["sku"],
            available=data["available"],
            low_stock_threshold=data["low_stock_threshold"],
            reservations=dict(data["reservations"]),
            committed=dict(data["committed"]),
            released=dict(data["released"]),
            restocks=dict(data["restocks"]),
        )
