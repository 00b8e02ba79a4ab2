"""Order: priced lines, a status that only moves forward, idempotent transitions."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import IllegalTransition, InvalidOrder
from domain.order import Order, OrderLine, OrderStatus

AT = "2026-01-01T00:00:00+00:00"
LINES = [OrderLine("tea", 2, 450), OrderLine("cup", 1, 1200)]


def placed() -> Order:
    return Order.place("o1", "c1", LINES, AT)


def test_placing_prices_the_lines_and_announces_it() -> None:
    order = placed()

    assert (order.status, order.total_cents, order.created_at) == (OrderStatus.PENDING, 2100, AT)
    assert [event.type for event in order.events] == ["order.placed"]


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [OrderLine("tea", 1, 1), OrderLine("tea", 2, 1)],
        [OrderLine("tea", 0, 1)],
        [OrderLine("tea", 1, -5)],
    ],
)
def test_invalid_lines_are_refused(lines: list[OrderLine]) -> None:
    with pytest.raises(InvalidOrder):
        Order.place("o1", "c1", lines, AT)


def test_confirm_and_cancel_are_idempotent_and_final() -> None:
    confirmed, cancelled = placed(), placed()
    confirmed.confirm("t1")
    confirmed.confirm("t2")
    cancelled.cancel("out_of_stock", "t1")
    cancelled.cancel("payment_declined", "t2")

    assert [t.at for t in confirmed.history] == [AT, "t1"]
    assert (cancelled.status_reason, len(cancelled.history)) == ("out_of_stock", 2)
    assert [e.type for e in cancelled.events] == ["order.placed", "order.cancelled"]
    with pytest.raises(IllegalTransition):
        confirmed.cancel("late", "t3")
    with pytest.raises(IllegalTransition):
        cancelled.confirm("t3")


MOVES = st.lists(st.sampled_from(["confirm", "cancel"]), max_size=4)


@given(
    lines=st.lists(
        st.builds(
            OrderLine,
            sku=st.text("abcdef", min_size=1, max_size=4),
            quantity=st.integers(1, 50),
            unit_price_cents=st.integers(0, 10_000),
        ),
        min_size=1,
        max_size=5,
        unique_by=lambda line: line.sku,
    ),
    moves=MOVES,
)
def test_any_order_survives_a_round_trip_and_moves_at_most_once(
    lines: list[OrderLine], moves: list[str]
) -> None:
    order = Order.place("o1", "c1", lines, AT)
    for n, move in enumerate(moves):
        try:
            order.confirm(f"t{n}") if move == "confirm" else order.cancel("why", f"t{n}")
        except IllegalTransition:
            pass

    assert Order.from_dict(order.to_dict()) == order
    assert len(order.history) == (2 if moves else 1)
    assert order.total_cents == sum(line.quantity * line.unit_price_cents for line in lines)
