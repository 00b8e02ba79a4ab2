"""Charges of the simulated provider: one per order, decided by a deterministic test token.

Pure: no I/O. A refund that arrives before its charge leaves a voided charge behind, so a
charge call still in flight (or retried) after the refund cannot capture money.
"""

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class ChargeStatus(StrEnum):
    CAPTURED = "captured"
    DECLINED = "declined"
    REQUIRES_ACTION = "requires_action"
    REFUNDED = "refunded"
    VOIDED = "voided"


TOKEN_OUTCOMES = {
    "tok_ok": ChargeStatus.CAPTURED,
    "tok_decline": ChargeStatus.DECLINED,
    "tok_action": ChargeStatus.REQUIRES_ACTION,
    "tok_slow": ChargeStatus.CAPTURED,
}
SLOW_TOKEN = "tok_slow"


class PaymentError(Exception):
    pass


class UnknownToken(PaymentError):
    pass


class NotConfirmable(PaymentError):
    pass


def charge_id_for(order_id: str) -> str:
    return f"ch_{order_id}"


@dataclass
class Charge:
    charge_id: str
    order_id: str
    amount_cents: int
    currency: str
    status: ChargeStatus

    @classmethod
    def open(cls, order_id: str, amount_cents: int, currency: str, token: str) -> "Charge":
        if token not in TOKEN_OUTCOMES:
            raise UnknownToken(f"unknown payment token {token!r}")
        status = TOKEN_OUTCOMES[token]
        return cls(charge_id_for(order_id), order_id, amount_cents, currency, status)

    @classmethod
    def voided_before_charge(cls, order_id: str) -> "Charge":
        return cls(charge_id_for(order_id), order_id, 0, "", ChargeStatus.VOIDED)

    def refund(self) -> None:
        """Gives captured money back, or voids a charge still waiting; repeats change nothing."""
        if self.status is ChargeStatus.CAPTURED:
            self.status = ChargeStatus.REFUNDED
        elif self.status is ChargeStatus.REQUIRES_ACTION:
            self.status = ChargeStatus.VOIDED

    def confirm(self) -> None:
        """The customer completed the extra step; a repeat changes nothing."""
        if self.status is ChargeStatus.CAPTURED:
            return
        if self.status is not ChargeStatus.REQUIRES_ACTION:
            raise NotConfirmable(f"charge {self.charge_id} is {self.status.value}")
        self.status = ChargeStatus.CAPTURED

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Charge":
        return cls(**{**data, "status": ChargeStatus(data["status"])})
