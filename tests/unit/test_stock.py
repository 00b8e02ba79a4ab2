"""Stock invariants under any sequence of operations, replays included (hypothesis)."""

import json
from collections.abc import Callable

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.errors import Conflict, DomainError, NotReserved, OutOfStock, ReservationClosed
from domain.stock import LowStock, Stock, order_record, restock_record

# Small pools, so orders and refs collide: repeats, reserve-after-release, commit-after-release.
ORDERS = st.sampled_from(["o1", "o2", "o3", "o4"])
REFS = st.sampled_from(["r1", "r2", "r3"])
QUANTITIES = st.integers(min_value=1, max_value=10)

Outcome = tuple[str, object]


def attempt(operation: Callable[[], int]) -> Outcome:
    """What an operation answered: its value, or the type of domain error it raised."""
    try:
        return ("value", operation())
    except DomainError as error:
        return ("error", type(error))


class StockMachine(RuleBasedStateMachine):
    """Drives one Stock and checks each answer against what the rules say it must be."""

    stock: Stock

    @initialize(available=st.integers(0, 20), threshold=st.integers(0, 8))
    def open(self, available: int, threshold: int) -> None:
        self.stock = Stock("tea", available, threshold)
        self.initial = available
        self.restocked = 0
        self.ever_released: set[str] = set()
        self.crossings: list[LowStock] = []

    def replayed(self, record: str, operation: Callable[[Stock], int]) -> Outcome:
        """Runs the operation, then again at once: the repeat answers the same, changes nothing.
        A Stock loaded with only the counts and `record` answers and changes the same."""
        before, events_before = self.stock.available, len(self.stock.events)
        partial = self.loaded_with_only(record)
        first = attempt(lambda: operation(self.stock))
        assert attempt(lambda: operation(partial)) == first
        assert partial.summary() == self.stock.summary()
        assert partial.records() == {
            name: value for name, value in self.stock.records().items() if name == record
        }
        assert partial.events == self.stock.events[events_before:]
        state, events = self.stock.to_dict(), list(self.stock.events)

        assert attempt(lambda: operation(self.stock)) == first
        assert self.stock.to_dict() == state
        assert self.stock.events == events

        threshold, after = self.stock.low_stock_threshold, self.stock.available
        if before >= threshold > after:
            self.crossings.append(LowStock("tea", after, threshold))
        return first

    def loaded_with_only(self, record: str) -> Stock:
        """What a store holding each record under its own key gives the actor for one call."""
        data = json.loads(json.dumps(self.stock.to_dict()))
        data["records"] = {name: value for name, value in data["records"].items() if name == record}
        return Stock.from_dict(data)

    @rule(order=ORDERS, quantity=QUANTITIES)
    def reserve(self, order: str, quantity: int) -> None:
        stock = self.stock
        held, available = stock.reservations.get(order), stock.available
        closed = order in stock.released or order in stock.committed

        outcome = self.replayed(order_record(order), lambda s: s.reserve(order, quantity))

        if held is not None:  # one reservation per order: the first quantity stands
            assert outcome == ("value", held)
        elif closed:
            assert outcome == ("error", ReservationClosed)
        elif quantity > available:
            assert outcome == ("error", OutOfStock)
        else:
            assert outcome == ("value", quantity)

    @rule(order=ORDERS)
    def release(self, order: str) -> None:
        stock = self.stock
        committed = order in stock.committed
        expected = stock.released.get(order, stock.reservations.get(order, 0))

        outcome = self.replayed(order_record(order), lambda s: s.release(order))

        if committed:
            assert outcome == ("error", ReservationClosed)
        else:
            assert outcome == ("value", expected)
            self.ever_released.add(order)

    @rule(order=ORDERS)
    def commit(self, order: str) -> None:
        stock = self.stock
        expected = stock.committed.get(order, stock.reservations.get(order))

        outcome = self.replayed(order_record(order), lambda s: s.commit(order))

        assert outcome == (("error", NotReserved) if expected is None else ("value", expected))

    @rule(quantity=QUANTITIES, ref=REFS)
    def restock(self, quantity: int, ref: str) -> None:
        earlier = self.stock.restocks.get(ref)

        outcome = self.replayed(restock_record(ref), lambda s: s.restock(quantity, ref))

        if earlier is not None and earlier != quantity:
            assert outcome == ("error", Conflict)
            return
        assert outcome == ("value", earlier or quantity)
        self.restocked += 0 if earlier else quantity

    @invariant()
    def nothing_is_oversold(self) -> None:
        assert self.stock.available >= 0

    @invariant()
    def nothing_is_lost_or_doubled(self) -> None:
        stock = self.stock
        committed = sum(stock.committed.values())
        assert stock.available + stock.reserved + committed == self.initial + self.restocked

    @invariant()
    def the_reserved_count_is_the_sum_of_the_holds(self) -> None:
        assert self.stock.reserved == sum(self.stock.reservations.values())

    @invariant()
    def an_order_is_held_released_or_committed_once(self) -> None:
        held, released = set(self.stock.reservations), set(self.stock.released)
        committed = set(self.stock.committed)
        assert not (held & released or held & committed or released & committed)

    @invariant()
    def a_released_order_is_never_held_again(self) -> None:
        assert not self.ever_released & set(self.stock.reservations)

    @invariant()
    def low_stock_is_announced_once_per_downward_crossing(self) -> None:
        assert self.stock.events == self.crossings

    @invariant()
    def the_state_survives_a_json_round_trip(self) -> None:
        data = json.loads(json.dumps(self.stock.to_dict()))
        assert Stock.from_dict(data) == self.stock


TestStockMachine = StockMachine.TestCase
TestStockMachine.settings = settings(max_examples=200, stateful_step_count=25, deadline=None)


def test_a_shortage_refuses_and_holds_nothing() -> None:
    stock = Stock("tea", 2)

    with pytest.raises(OutOfStock) as refused:
        stock.reserve("o1", 3)

    assert (refused.value.requested, refused.value.available) == (3, 2)
    assert (stock.available, stock.reserved) == (2, 0)


def test_a_repeated_reserve_answers_the_first_quantity_and_holds_nothing_more() -> None:
    stock = Stock("tea", 10)
    stock.reserve("o1", 3)

    assert stock.reserve("o1", 5) == 3
    assert (stock.available, stock.reservations) == (7, {"o1": 3})


def test_a_released_order_cannot_be_reserved_again() -> None:
    stock = Stock("tea", 10)
    stock.reserve("o1", 3)

    assert stock.release("o1") == 3
    assert stock.release("o1") == 3
    with pytest.raises(ReservationClosed):
        stock.reserve("o1", 3)
    assert stock.available == 10


def test_a_release_before_any_reserve_closes_the_order() -> None:
    """Compensation may overtake a slow reserve: the late reserve must not hold stock."""
    stock = Stock("tea", 10)

    assert stock.release("o1") == 0
    with pytest.raises(ReservationClosed):
        stock.reserve("o1", 1)


def test_commit_needs_a_reservation_and_release_after_commit_is_refused() -> None:
    stock = Stock("tea", 2)
    with pytest.raises(NotReserved):
        stock.commit("o1")
    stock.reserve("o1", 1)

    assert stock.commit("o1") == stock.commit("o1") == 1
    with pytest.raises(ReservationClosed):
        stock.release("o1")
    assert (stock.available, stock.reserved, stock.committed) == (1, 0, {"o1": 1})


def test_a_restock_counts_once_per_ref() -> None:
    stock = Stock("tea")

    assert stock.restock(5, "r1") == 5
    assert stock.restock(5, "r1") == 5
    assert stock.available == 5


def test_the_same_ref_with_another_quantity_is_refused_and_changes_nothing() -> None:
    stock = Stock("tea")
    stock.restock(5, "shipment:1")

    with pytest.raises(Conflict):
        stock.restock(9, "shipment:1")
    assert (stock.available, stock.restocks) == (5, {"shipment:1": 5})


def test_low_stock_is_raised_once_per_downward_crossing() -> None:
    stock = Stock("tea", 7, low_stock_threshold=5)
    for n in range(4):
        stock.reserve(f"o{n}", 1)  # 6, 5, 4 (crosses), 3
    stock.restock(10, "r1")  # back above
    stock.reserve("big", 10)  # 13 -> 3: crosses again

    assert stock.events == [LowStock("tea", 4, 5), LowStock("tea", 3, 5)]


def test_to_dict_is_a_snapshot() -> None:
    stock = Stock("tea", 5)
    stock.reserve("o1", 2)
    data = stock.to_dict()

    data["records"][order_record("o1")]["held"] = 0

    assert stock.reservations == {"o1": 2}
