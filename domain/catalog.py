"""A catalog item: what is sold, at what price, its stock, and its picture."""

from dataclasses import asdict, dataclass
from typing import Any

from domain.errors import InvalidOrder
from domain.stock import Stock


@dataclass(frozen=True)
class Image:
    """Where an item's picture is stored and what it is; the bytes live in a blob store.

    `key` is the blob's name, one per upload, so a blob is only ever deleted once no item
    can point at it again."""

    key: str
    content_type: str
    size: int
    digest: str
    updated_at: str


@dataclass
class Item:
    sku: str
    name: str
    price_cents: int
    stock: Stock
    image: Image | None = None

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

    def show(self, image: Image) -> Image | None:
        """Shows `image` from now on; answers the picture it replaced, whose blob is no longer
        needed (None when there was none, or when `image` is the one shown already)."""
        if self.image is not None and self.image.key == image.key:
            return None
        replaced, self.image = self.image, image
        return replaced

    def to_dict(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "name": self.name,
            "price_cents": self.price_cents,
            "stock": self.stock.to_dict(),
            "image": asdict(self.image) if self.image else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Item":
        image = data.get("image")  # absent in items stored before pictures existed
        return cls(
            data["sku"],
            data["name"],
            data["price_cents"],
            Stock.from_dict(data["stock"]),
            Image(**image) if image else None,
        )
