"""What goes in and out of the actors: JSON documents, typed for the code on both sides."""

from typing import Literal, TypedDict


class ItemDefinition(TypedDict):
    name: str
    price_cents: int
    stock: int
    low_stock_threshold: int


class ImageMeta(TypedDict):
    """An item's picture: its blob's key in the images binding, and what the blob holds."""

    key: str
    content_type: str
    size: int
    digest: str
    updated_at: str


class ItemView(TypedDict):
    sku: str
    name: str
    price_cents: int
    available: int
    reserved: int
    image: ImageMeta | None


class Reservation(TypedDict):
    order_id: str
    quantity: int


class OrderRef(TypedDict):
    order_id: str


class Restock(TypedDict):
    """`ref` is what makes a restock happen once: a shipment, or an API caller's key."""

    quantity: int
    ref: str


class StockChange(TypedDict):
    """How many units the change concerned, and the item after it."""

    result: int
    item: ItemView


class ImageShown(TypedDict):
    """The item with its new picture, and the picture it replaced (its blob can go)."""

    item: ItemView
    replaced: ImageMeta | None


class OrderLine(TypedDict):
    sku: str
    quantity: int
    unit_price_cents: int


class Payment(TypedDict):
    """How the order's saga charges it."""

    currency: str
    payment_token: str
    # How long a payment that needs the customer's action may wait; 0: it may not wait.
    payment_action_timeout_seconds: int


class PlaceOrder(TypedDict):
    customer_id: str
    lines: list[OrderLine]
    at: str
    payment: Payment


class Transition(TypedDict):
    status: str
    at: str
    reason: str | None


class OrderView(TypedDict):
    id: str
    customer_id: str
    lines: list[OrderLine]
    status: Literal["pending", "confirmed", "cancelled"]
    status_reason: str | None
    history: list[Transition]
    total_cents: int
    created_at: str


class ConfirmOrder(TypedDict):
    at: str


class CancelOrder(TypedDict):
    reason: str
    at: str
