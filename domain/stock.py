"""The stock of one SKU: reservations per order, idempotent on the order id and restock ref.

What each order and restock did is a record of its own (`records()`), apart from the counts
(`summary()`): a store keeps each under its own key, so a change reads and writes the counts
and the one record it names, however many orders the SKU has seen. A Stock holding only that
record answers exactly as one holding them all.
"""

from dataclasses import dataclass, field
from typing import Any

from domain.errors import Conflict, NotReserved, OutOfStock, ReservationClosed


@dataclass(frozen=True)
class LowStock:
    sku: str
    available: int
    threshold: int


def order_record(order_id: str) -> str:
    return f"order|{order_id}"


def restock_record(ref: str) -> str:
    return f"restock|{ref}"


@dataclass
class Stock:
    sku: str
    available: int = 0
    low_stock_threshold: int = 0
    # Units held for all orders, kept as a count because the holds themselves may not be loaded.
    reserved: int = 0
    reservations: dict[str, int] = field(default_factory=dict)
    committed: dict[str, int] = field(default_factory=dict)
    released: dict[str, int] = field(default_factory=dict)
    restocks: dict[str, int] = field(default_factory=dict)
    events: list[LowStock] = field(default_factory=list, compare=False)

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
        self.reserved += quantity
        return quantity

    def release(self, order_id: str) -> int:
        """Gives the order's hold back; also closes it, so a late reserve cannot hold again."""
        if order_id in self.committed:
            raise ReservationClosed(f"{self.sku}: {order_id} is committed")
        if order_id in self.released:
            return self.released[order_id]
        quantity = self.reservations.pop(order_id, 0)
        self.released[order_id] = quantity
        self.reserved -= quantity
        self._change_available(quantity)
        return quantity

    def commit(self, order_id: str) -> int:
        """The held units leave the warehouse; a repeat changes nothing."""
        if order_id in self.committed:
            return self.committed[order_id]
        if order_id not in self.reservations:
            raise NotReserved(f"{self.sku}: {order_id} holds nothing to commit")
        self.committed[order_id] = self.reservations.pop(order_id)
        self.reserved -= self.committed[order_id]
        return self.committed[order_id]

    def restock(self, quantity: int, ref: str) -> int:
        """Adds units once per `ref` (a shipment, or an API caller's key); a repeat adds
        nothing and answers what the first added. The same `ref` with another quantity is
        not a repeat but a mistake, and is refused."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        if ref in self.restocks:
            if self.restocks[ref] != quantity:
                raise Conflict(
                    f"{self.sku}: {ref} restocked {self.restocks[ref]} units, not {quantity}"
                )
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

    def summary(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "available": self.available,
            "low_stock_threshold": self.low_stock_threshold,
            "reserved": self.reserved,
        }

    def records(self) -> dict[str, Any]:
        """One record per order (`{"held"|"committed"|"released": quantity}`) and per restock
        ref (its quantity), by the names `order_record` and `restock_record` give them."""
        records: dict[str, Any] = {}
        for status, book in self._order_books().items():
            for order_id, quantity in book.items():
                records[order_record(order_id)] = {status: quantity}
        for ref, quantity in self.restocks.items():
            records[restock_record(ref)] = quantity
        return records

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "records": self.records()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Stock":
        """The counts and whichever records `data["records"]` holds."""
        stock = cls(data["sku"], data["available"], data["low_stock_threshold"], data["reserved"])
        books = stock._order_books()
        for name, record in data["records"].items():
            kind, _, key = name.partition("|")
            if kind == "restock":
                stock.restocks[key] = record
            else:
                ((status, quantity),) = record.items()
                books[status][key] = quantity
        return stock

    def _order_books(self) -> dict[str, dict[str, int]]:
        return {"held": self.reservations, "committed": self.committed, "released": self.released}
