"""The orders app and its sidecar killed over and over while checkouts run."""

import json
import random
import time
from collections import Counter
from pathlib import Path

from devstack.stack import Stack
from tests import controls
from tests.faults.conftest import Report, Scale
from tests.faults.load import Load, assert_consistent, run_with_faults, settle, stocked
from tests.faults.wedge import UPSTREAM, SidecarMedic

# One declined payment in ten, so compensations run beside confirmations.
TOKENS = ("tok_ok",) * 9 + ("tok_decline",)


def recoveries(app_log: Path) -> dict[str, dict[str, int]]:
    """From the fields of what the orders app logged (JSON lines): how the Order actors' saga
    watch revived pending orders whose saga a kill had cut off (app.checkout.keep_saga), and
    per actor type the calls daprd sent while the app still ran that actor's last call, which
    the app made wait (actors.turns)."""
    revived: Counter[str] = Counter()
    overlapped: Counter[str] = Counter()
    for line in app_log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        entry = json.loads(line)
        if entry.get("event") == "saga of a pending order revived":
            revived[entry["how"]] += 1
        elif entry.get("event") == "actor called while still running a call":
            overlapped[entry["actor_type"]] += 1
    return {"sagas_revived": dict(revived), "turns_overlapped": dict(overlapped)}


def test_orders_app_killed_repeatedly_during_checkouts(
    fault_stack: Stack, report: Report, rng: random.Random, scale: Scale
) -> None:
    """10 kills during 200 checkouts for 150 units; `make faults-long`: 50 during 1,000."""
    initial = scale.app_orders * 3 // 4
    orders, payments, sku = stocked(fault_stack, stock=initial)
    load = Load(orders, sku, count=scale.app_orders, interval=0.3, tokens=TOKENS)
    kills: list[float] = []
    medic = SidecarMedic(fault_stack, "orders")

    def kill() -> None:
        kills.append(time.time())
        controls.crash_and_restart(fault_stack, "orders")

    order_ids = run_with_faults(load, scale.app_kills, kill, rng, watchdog=medic.sound)
    books = settle(orders, payments, sku, order_ids, wait=scale.settle_seconds)

    report(
        "app-crash",
        {
            "kills": len(kills),
            **books.figures(),
            "retries": load.failed_attempts,
            **recoveries(fault_stack.log_dir / "orders.log"),
            f"sidecar_restarts_for_{UPSTREAM}": medic.restarts,
        },
    )
    assert len(kills) == scale.app_kills
    assert_consistent(books, initial=initial, order_ids=order_ids)
    # More orders than units: the rest run out of stock, or are declined first.
    assert set(books.outcomes) == {"confirmed", "payment_declined", "out_of_stock"}


def test_orders_sidecar_killed_repeatedly_during_checkouts(
    fault_stack: Stack, report: Report, rng: random.Random, scale: Scale
) -> None:
    """5 kills during 120 checkouts for 100 units; `make faults-long`: 20 during 1,000."""
    initial = scale.sidecar_orders * 5 // 6
    orders, payments, sku = stocked(fault_stack, stock=initial)
    load = Load(
        orders, sku, count=scale.sidecar_orders, interval=scale.sidecar_interval, tokens=TOKENS
    )
    kills = 0

    def kill_sidecar() -> None:
        nonlocal kills
        controls.kill_sidecar(fault_stack, "orders")
        kills += 1
        time.sleep(rng.uniform(0.5, 2.0))
        controls.start_sidecar(fault_stack, "orders")

    order_ids = run_with_faults(load, scale.sidecar_kills, kill_sidecar, rng)
    books = settle(orders, payments, sku, order_ids, wait=scale.settle_seconds)

    figures = {"kills": kills, **books.figures(), "retries": load.failed_attempts}
    report("sidecar-crash", {**figures, **recoveries(fault_stack.log_dir / "orders.log")})
    assert kills == scale.sidecar_kills
    assert_consistent(books, initial=initial, order_ids=order_ids)
