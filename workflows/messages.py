"""What the checkout saga takes, hands its activities and answers: JSON documents, typed."""

from typing import Literal, TypedDict


class SagaLine(TypedDict):
    sku: str
    quantity: int


class CheckoutInput(TypedDict):
    """The order's lines and total, and how it is paid. The instance id is the order id."""

    lines: list[SagaLine]
    total_cents: int
    currency: str
    payment_token: str
    payment_action_timeout_seconds: int


class LineRequest(TypedDict):
    order_id: str
    sku: str
    quantity: int


class ReservedLine(TypedDict):
    sku: str
    reserved: bool
    reason: str | None


class ChargeRequest(TypedDict):
    order_id: str
    amount_cents: int
    currency: str
    payment_token: str


class ChargeResult(TypedDict):
    charge_id: str
    status: str


class OrderRequest(TypedDict):
    order_id: str


class ConfirmRequest(TypedDict):
    order_id: str
    at: str


class CancelRequest(TypedDict):
    order_id: str
    reason: str
    at: str


class NotifyRequest(TypedDict):
    order_id: str
    event: str


class SagaResult(TypedDict):
    status: Literal["confirmed", "cancelled", "pending"]
    reason: str | None
    replayed: bool
