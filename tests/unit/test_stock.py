"""Stock invariants under any sequence of operations, replays included (hypothesis)."""

from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.errors import DomainError, NotReserved, OutOfStock, ReservationClosed
from domain.stock import LowStock, Stock

ORDERS = st.sampled_from([f"o{n}" for n in range(6)])
REFS = st.sampled_from([f"r{n}" for n in range(4)])
QUANTITIES = st.integers(min_value=1, max_value=10)
INITIAL = 12
THRESHOLD = 5


def attempt(operation: Any) -> tuple[str, Any]:
    """What an operation answered: its value, or the type of domain error it raised."""
    try:
        return ("value", operation())
    except DomainError as error:
        return ("error", type(error))


class StockMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stock = Stock("tea", INITIAL, THRESHOLD)
        self.restocked = 0
        self.closed: set[str] = set()

    def replayed(self, operation: Any) -> tuple[str, Any]:
        """Runs the operation twice: the repeat must answer the same and change nothing."""
        first = attempt(operation)
        state = self.stock.to_dict()
        events = len(self.stock.events)
        assert attempt(operation) == first
        assert self.stock.to_dict() == state
        assert len(self.stock.events) == events
        return first

    @rule(order=ORDERS, quantity=QUANTITIES)
    def reserve(self, order: str, quantity: int) -> None:
        outcome = self.replayed(lambda: self.stock.reserve(order, quantity))
        if order in self.closed:
            assert outcome == ("error", ReservationClosed)

    @rule(order=ORDERS)
    def release(self, order: str) -> None:
        outcome = self.replayed(lambda: self.stock.release(order))
        if outcome[0] == "value":
            self.closed.add(order)

    @rule(order=ORDERS)
    def commit(self, order: str) -> None:
        outcome = self.replayed(lambda: self.stock.commit(order))
        if outcome[0] == "value":
            self.closed.add(order)

    @rule(quantity=QUANTITIES, ref=REFS)
    def restock(self, quantity: int, ref: str) -> None:
        earlier = self.stock.restocks.get(ref)
        answer = self.replayed(lambda: self.stock.restock(quantity, ref))
        assert answer == ("value", earlier or quantity)
        self.restocked += 0 if earlier else quantity

    @precondition(lambda self: self.stock.reservations)
    @rule()
    def round_trip(self) -> None:
        assert Stock.from_dict(self.stock.to_dict()) == self.stock

    @invariant()
    def nothing_oversold_lost_or_doubled(self) -> None:
        stock = self.stock
        assert stock.available >= 0
        committed = sum(stock.committed.values())
        assert stock.available + stock.reserved + committed == INITIAL + self.restocked

    @invariant()
    def an_order_holds_one_reservation_at_most(self) -> None:
        closed = set(self.stock.released) | set(self.stock.committed)
        assert not set(self.stock.reservations) & closed


TestStockMachine = StockMachine.TestCase
TestStockMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


def test_a_shortage_refuses_and_holds_nothing() -> None:
    stock = Stock("tea", 2)

    with pytest.raises(OutOfStock):
        stock.reserve("o1", 3)

    assert (stock.available, stock.reserved) == (2, 0)


def test_commit_needs_a_reservation_and_release_after_commit_is_refused() -> None:
    stock = Stock("tea", 2)
    with pytest.raises(NotReserved):
        stock.commit("o1")
    stock.reserve("o1", 1)
    stock.commit("o1")

    with pytest.raises(ReservationClosed):
        stock.release("o1")


def test_low_stock_is_raised_once_per_downward_crossing() -> None:
    stock = Stock("tea", 7, low_stock_threshold=5)
    for n in range(4):
        stock.reserve(f"o{n}", 1)  # 6, 5, 4 (crosses), 3
    stock.restock(10, "r1")  # back above
    stock.reserve("big", 10)  # 13 -> 3: crosses again

    assert stock.events == [LowStock("tea", 4, 5), LowStock("tea", 3, 5)]
