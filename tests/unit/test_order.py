"""Order: priced lines, a status that only moves forward, idempotent transitions."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, IllegalTransition, InvalidOrder
from domain.order import Order, OrderLine, OrderStatus, Transition

AT = "2026-01-01T00:00:00+00:00"
LATER = "2026-01-01T00:05:00+00:00"
LINES = [OrderLine("tea", 2, 450), OrderLine("cup", 1, 1200)]


def placed() -> Order:
    return Order.place("o1", "c1", LINES, AT)


def test_placing_prices_the_lines_in_cents_and_announces_it() -> None:
    order = placed()

    assert order.total_cents == 2100
    assert isinstance(order.total_cents, int)
    assert (order.status, order.status_reason, order.created_at) == (OrderStatus.PENDING, None, AT)
    assert order.history == [Transition(OrderStatus.PENDING, AT)]
    assert [(e.type, e.status, e.total_cents) for e in order.events] == [
        ("order.placed", OrderStatus.PENDING, 2100)
    ]


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([], id="empty"),
        pytest.param([OrderLine("tea", 1, 1), OrderLine("tea", 2, 1)], id="duplicate-sku"),
        pytest.param([OrderLine("tea", 0, 1)], id="zero-quantity"),
        pytest.param([OrderLine("tea", -1, 1)], id="negative-quantity"),
        pytest.param([OrderLine("tea", 1, -5)], id="negative-price"),
    ],
)
def test_invalid_lines_are_refused(lines: list[OrderLine]) -> None:
    with pytest.raises(InvalidOrder):
        Order.place("o1", "c1", lines, AT)


def test_confirming_records_the_time_passed_in() -> None:
    order = placed()

    order.confirm(LATER)

    assert (order.status, order.status_reason, order.is_final) == (
        OrderStatus.CONFIRMED,
        None,
        True,
    )
    assert order.history[-1] == Transition(OrderStatus.CONFIRMED, LATER)
    assert [e.type for e in order.events] == ["order.placed", "order.confirmed"]


def test_cancelling_records_the_reason_and_the_time() -> None:
    order = placed()

    order.cancel("out_of_stock", LATER)

    assert (order.status, order.status_reason) == (OrderStatus.CANCELLED, "out_of_stock")
    assert order.history[-1] == Transition(OrderStatus.CANCELLED, LATER, "out_of_stock")
    assert order.events[-1].type == "order.cancelled"
    assert order.events[-1].reason == "out_of_stock"


def test_a_repeated_confirm_or_cancel_changes_nothing() -> None:
    confirmed, cancelled = placed(), placed()
    confirmed.confirm("t1")
    cancelled.cancel("out_of_stock", "t1")
    states = confirmed.to_dict(), cancelled.to_dict()
    events = list(confirmed.events), list(cancelled.events)

    confirmed.confirm("t2")
    cancelled.cancel("payment_declined", "t2")

    assert (confirmed.to_dict(), cancelled.to_dict()) == states
    assert (confirmed.events, cancelled.events) == events


def test_a_final_order_refuses_the_other_transition_and_stays_as_it_was() -> None:
    confirmed, cancelled = placed(), placed()
    confirmed.confirm("t1")
    cancelled.cancel("out_of_stock", "t1")
    states = confirmed.to_dict(), cancelled.to_dict()

    with pytest.raises(IllegalTransition):
        confirmed.cancel("late", "t2")
    with pytest.raises(IllegalTransition):
        cancelled.confirm("t2")

    assert (confirmed.to_dict(), cancelled.to_dict()) == states
    assert issubclass(IllegalTransition, DomainError)


def test_to_dict_is_a_snapshot() -> None:
    order = placed()

    order.to_dict()["lines"][0]["quantity"] = 0

    assert order.total_cents == 2100


NAMES = st.text("abcdef0123", min_size=1, max_size=6)
LINE_LISTS = st.lists(
    st.builds(
        OrderLine,
        sku=NAMES,
        quantity=st.integers(1, 50),
        unit_price_cents=st.integers(0, 100_000),
    ),
    min_size=1,
    max_size=5,
    unique_by=lambda line: line.sku,
)
MOVES = st.lists(
    st.tuples(st.sampled_from(["confirm", "cancel"]), st.sampled_from(["declined", "expired"])),
    max_size=5,
)


EVENT_TYPES = {
    OrderStatus.PENDING: "order.placed",
    OrderStatus.CONFIRMED: "order.confirmed",
    OrderStatus.CANCELLED: "order.cancelled",
}


def moved_at(n: int) -> str:
    return f"2026-01-01T00:01:{n:02d}+00:00"


@settings(max_examples=200, deadline=None)
@given(order_id=NAMES, customer_id=NAMES, lines=LINE_LISTS, moves=MOVES)
def test_any_order_moves_once_and_survives_a_round_trip(
    order_id: str, customer_id: str, lines: list[OrderLine], moves: list[tuple[str, str]]
) -> None:
    order = Order.place(order_id, customer_id, lines, AT)
    for n, (move, reason) in enumerate(moves):
        try:
            order.confirm(moved_at(n)) if move == "confirm" else order.cancel(reason, moved_at(n))
        except IllegalTransition:
            assert move != moves[0][0]  # only the other final status is refused
        else:
            assert move == moves[0][0]

    expected = [Transition(OrderStatus.PENDING, AT)]
    if moves:  # the first move decides; repeats add nothing
        move, reason = moves[0]
        confirmed = Transition(OrderStatus.CONFIRMED, moved_at(0))
        cancelled = Transition(OrderStatus.CANCELLED, moved_at(0), reason)
        expected.append(confirmed if move == "confirm" else cancelled)
    assert order.history == expected
    assert (order.status, order.status_reason) == (expected[-1].status, expected[-1].reason)
    assert [event.type for event in order.events] == [EVENT_TYPES[t.status] for t in expected]
    assert {event.total_cents for event in order.events} == {order.total_cents}
    assert order.total_cents == sum(line.quantity * line.unit_price_cents for line in lines)
    assert Order.from_dict(json.loads(json.dumps(order.to_dict()))) == order
