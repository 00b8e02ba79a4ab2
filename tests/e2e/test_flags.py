"""Feature flags end to end: a flag changed in the profile's store (Redis, PostgreSQL, or the
state store on embedded) reaches the running API within seconds, with no restart. How long
each change took goes to .data/artifacts/flags/<profile>.json."""

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunningApp, Stack
from tests.controls import kill_sidecar, start_sidecar
from tests.e2e.flag_store import FlagStore, flag_store
from tests.support.catalog import new_item
from tests.support.checkout import charge_status, final_order, place, saga
from tests.support.eventually import eventually

LIMIT, MAY_WAIT = "max_items_per_order", "payment_action_may_wait"
# How long a change may take to reach the API: the embedded profile polls every 2 s.
FOLLOW_SECONDS = 15.0
# The largest line there is: any limit below it shows in the answer to the probe.
PROBE = {"lines": [{"sku": "no-such-item", "quantity": 1000}], "payment_token": "tok_ok"}
ARTIFACTS = PROJECT_ROOT / ".data" / "artifacts" / "flags"


@pytest.fixture
def flags(
    stack: Stack, orders_sidecar: httpx.Client, orders_api: httpx.Client
) -> Iterator[FlagStore]:
    """The profile's flag store; afterwards the defaults again, in force before the next test
    (the limit goes last, and its arrival is waited for)."""
    store = flag_store(stack, orders_sidecar)
    yield store
    store.delete(MAY_WAIT)
    follow(store, LIMIT, None, lambda: limit_in_force(orders_api) is None, "the defaults")


@pytest.fixture(scope="module")
def timings(stack: Stack) -> Iterator[dict[str, float]]:
    """Seconds from each change in the store to the API answering by it."""
    found: dict[str, float] = {}
    yield found
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figures = {"profile": stack.run_file.profile, "seconds": found}
    (ARTIFACTS / f"{stack.run_file.profile}.json").write_text(json.dumps(figures, indent=2))


def limit_in_force(api: httpx.Client) -> int | None:
    """The limit the API applies now, asked with an order of an item no catalog holds: under
    a limit it is refused as too large, else as unknown (None: the default, or no answer)."""
    try:
        problem: dict[str, Any] = api.post("/api/v1/orders", json=PROBE).json()
    except httpx.HTTPError:
        return None
    limit: int | None = problem.get("max_items_per_order")
    return limit


def follow(
    store: FlagStore, key: str, text: str | None, arrived: Callable[[], bool], what: str
) -> float:
    """Changes `key` in the store (None deletes it) and waits for the API to show it."""
    started = time.monotonic()
    if text is None:
        store.delete(key)
    else:
        store.set(key, text)
    eventually(lambda: True if arrived() else None, timeout=FOLLOW_SECONDS, what=what)
    return round(time.monotonic() - started, 3)


def test_the_order_limit_follows_the_store(
    orders_api: httpx.Client, orders: RunningApp, flags: FlagStore, timings: dict[str, float]
) -> None:
    sku = new_item(orders_api, stock=10)["sku"]
    assert limit_in_force(orders_api) is None

    timings["set"] = follow(flags, LIMIT, "3", lambda: limit_in_force(orders_api) == 3, "3")
    place(orders_api, [(sku, 3)])
    refused = orders_api.post(
        "/api/v1/orders", json={"lines": [{"sku": sku, "quantity": 4}], "payment_token": "tok_ok"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["error"] == "TooManyItems"
    assert "at most 3 items" in refused.json()["detail"]

    timings["update"] = follow(flags, LIMIT, "5", lambda: limit_in_force(orders_api) == 5, "5")
    malformed = follow(flags, LIMIT, "lots", lambda: limit_in_force(orders_api) is None, "default")
    timings["malformed"] = malformed
    assert "flag value refused" in orders.app.log_tail(400)
    follow(flags, LIMIT, "2", lambda: limit_in_force(orders_api) == 2, "2")
    timings["delete"] = follow(flags, LIMIT, None, lambda: limit_in_force(orders_api) is None, "-")


def test_a_payment_that_needs_action_waits_only_while_the_flag_allows(
    orders_api: httpx.Client,
    payments_api: httpx.Client,
    flags: FlagStore,
    timings: dict[str, float],
) -> None:
    sku = new_item(orders_api, stock=10)["sku"]
    flags.set(MAY_WAIT, "false")
    # The limit changes after it: once the API shows the limit, it shows the first change too
    # (one read of both on embedded, one notification channel on PostgreSQL; Redis may take
    # a moment longer, which the loop below waits out).
    timings["switch_off"] = follow(
        flags, LIMIT, "999", lambda: limit_in_force(orders_api) == 999, ""
    )

    def cancelled_at_once() -> dict[str, Any] | None:
        order = final_order(orders_api, place(orders_api, [(sku, 1)], token="tok_action"))
        return order if order["status_reason"] == "payment_action_not_allowed" else None

    order = eventually(cancelled_at_once, timeout=FOLLOW_SECONDS + 60, what="no wait")
    assert order["status"] == "cancelled"
    assert charge_status(payments_api, order["id"]) == "voided"

    flags.delete(MAY_WAIT)
    follow(flags, LIMIT, None, lambda: limit_in_force(orders_api) is None, "the default")
    waiting = place(orders_api, [(sku, 1)], token="tok_action")
    eventually(
        lambda: saga(orders_api, waiting)["current_step"] == "await_payment_confirmation" or None,
        what="the saga to wait for the customer",
    )
    # Ended here rather than left to its timeout, which may come first (6 s in these tests).
    orders_api.post(f"/api/v1/orders/{waiting}/cancel")
    reason = final_order(orders_api, waiting)["status_reason"]
    assert reason in ("cancelled_by_customer", "payment_timeout")


def test_flags_follow_the_store_again_after_the_sidecar_restarts(
    stack: Stack, orders_api: httpx.Client, flags: FlagStore, timings: dict[str, float]
) -> None:
    follow(flags, LIMIT, "4", lambda: limit_in_force(orders_api) == 4, "4")

    kill_sidecar(stack, "orders")
    if not flags.through_sidecar:
        flags.set(LIMIT, "6")  # missed by the subscription: the read after it finds it
    start_sidecar(stack, "orders")
    started = time.monotonic()
    if flags.through_sidecar:
        flags.set(LIMIT, "6")
    eventually(lambda: limit_in_force(orders_api) == 6 or None, timeout=60, what="6 after restart")
    timings["after_sidecar_restart"] = round(time.monotonic() - started, 3)
    stack.wait_ready(stack.apps["orders"])  # the stack stays whole for the tests after this
