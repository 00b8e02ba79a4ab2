"""A catalog item: what is sold, at what price, and its stock."""

from dataclasses import dataclass
from typing import Any

from domain.errors import InvalidOrder
from domain.stock import Stock


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    stock: Stock

    @classmethod
    def create(
        cls, sku: str, name: str, price_cents: int, stock: int, low_stock_threshold: int
    ) -> "Item":
        if price_cents < 0 or stock < 0:
            raise InvalidOrder("price and stock cannot be negative")
        return cls(sku, name, price_cents, Stock(sku, stock, low_stock_threshold))

    def same_definition(self, other: "Item") -> bool:
        """A repeated create with the same fields is a replay, not a conflict."""
        return (self.name, self.price_cents) == (other.name, other.price_cents)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price_cents": self.price_cents,
            "stock": self.stock.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Item":
        return cls(data["sku"], data["name"], data["price_cents"], Stock.from_dict(data["stock"]))
