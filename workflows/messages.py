"""What the checkout saga takes, hands its activities and answers: JSON documents, typed."""

from typing import TypedDict


class SagaLine(TypedDict):
    sku: str
    quantity: int


class CheckoutInput(TypedDict):
    """The order's lines and total, and how it is paid. The instance id is the order id."""

    lines: list[SagaLine]
    total_cents: int
    currency: str
    payment_token: str
    # How long a payment that needs the customer's action may wait; 0: it may not wait.
    payment_action_timeout_seconds: int


class StockRequest(TypedDict):
    """The order's lines, for the steps that hold, release or commit their stock."""

    order_id: str
    lines: list[SagaLine]


class ReservedLine(TypedDict):
    sku: str
    reserved: bool
    reason: str | None


class Reserved(TypedDict):
    """Whether the order was still pending (else `status` says what it is), and the lines
    that could not be held."""

    pending: bool
    status: str | None
    short: list[str]


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
    lines: list[SagaLine]
    at: str


class CancelRequest(TypedDict):
    order_id: str
    reason: str
    at: str


class SagaResult(TypedDict):
    status: str | None
    reason: str | None
    replayed: bool
