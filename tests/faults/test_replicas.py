"""Faults across replicas: three replicas of each app behind the front door, a highly
available control plane, and checkouts running while one part of it dies. Each scenario
starts again what it broke, so the next one finds three of everything."""

import random
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from devstack.processes import free_port
from devstack.runtime import ensure_runtime
from devstack.stack import RunningApp, Stack
from tests import controls
from tests.faults.conftest import Report
from tests.faults.load import Load, assert_consistent, run_with_faults, settle, stocked
from tests.faults.wedge import UPSTREAM, SidecarMedic
from tests.support.stacks import ORDERS_ENV, PAYMENTS_ENV, profile_run_file, stopped_after

TOKENS = ("tok_ok",) * 9 + ("tok_decline",)


@pytest.fixture(scope="module")
def replicated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    run_file = profile_run_file()
    workdir = tmp_path_factory.mktemp("replica-faults")
    stack = Stack(ensure_runtime(), workdir, run_file, control_plane_size=3)
    with stopped_after(request.config, stack):
        stack.start_control_plane()
        payments, orders = run_file.apps["payments"], run_file.apps["orders"]
        paid = replace(payments, env={**payments.env, **PAYMENTS_ENV}).on_free_ports()
        stack.start_replicas(paid, 3)
        env = {**orders.env, **ORDERS_ENV, "LOG_FORMAT": "json"}
        stack.start_replicas(replace(orders, env=env), 3, front_door_port=free_port())
        yield stack


def front(stack: Stack) -> RunningApp:
    first = stack.apps["orders"]
    port = int(stack.url_of("orders").rsplit(":", 1)[1])
    return replace(first, spec=replace(first.spec, app_port=port))


def checkouts_while(
    stack: Stack, faults: int, inject: Callable[[], None], rng: random.Random, count: int = 80
) -> tuple[Load, list[str], str, SidecarMedic]:
    """`count` checkouts through the front door while `inject` runs `faults` times; a sidecar
    the upstream bug wedges is restarted, and counted."""
    orders = front(stack)
    _, _, sku = stocked(stack, stock=count * 3 // 4)
    load = Load(orders, sku, count=count, interval=0.2, tokens=TOKENS, name="replicas")
    medic = SidecarMedic(stack, "orders")
    return load, run_with_faults(load, faults, inject, rng, watchdog=medic.sound), sku, medic


def books_of(
    stack: Stack, load: Load, order_ids: list[str], sku: str, medic: SidecarMedic
) -> dict[str, object]:
    books = settle(front(stack), stack.apps["payments"], sku, order_ids)
    assert_consistent(books, initial=load.count * 3 // 4, order_ids=order_ids)
    return {
        **books.figures(),
        "retries": load.failed_attempts,
        f"sidecar_restarts_for_{UPSTREAM}": medic.restarts,
    }


def test_an_orders_replica_killed_again_and_again(
    replicated: Stack, report: Report, rng: random.Random
) -> None:
    kills = 0

    def kill() -> None:
        nonlocal kills
        controls.crash_and_restart(replicated, "orders", index=1)
        kills += 1

    load, order_ids, sku, medic = checkouts_while(replicated, 5, kill, rng)
    report("replica-crash", {"kills": kills, **books_of(replicated, load, order_ids, sku, medic)})
    assert kills == 5


def test_the_placement_leader_killed(replicated: Stack, report: Report, rng: random.Random) -> None:
    killed: list[int] = []

    def kill_leader() -> None:
        leader = controls.placement_leader(replicated)
        controls.kill_member(replicated, "placement", leader)
        killed.append(leader)

    load, order_ids, sku, medic = checkouts_while(replicated, 1, kill_leader, rng)
    new_leader = controls.placement_leader(replicated)
    controls.start_member(replicated, "placement", killed[0])
    figures = books_of(replicated, load, order_ids, sku, medic)
    report("placement-leader", {"killed": killed[0], "new_leader": new_leader, **figures})
    assert new_leader != killed[0]


def test_a_scheduler_member_killed(replicated: Stack, report: Report, rng: random.Random) -> None:
    victim = rng.randrange(3)

    load, order_ids, sku, medic = checkouts_while(
        replicated, 1, lambda: controls.kill_member(replicated, "scheduler", victim), rng
    )
    controls.start_member(replicated, "scheduler", victim)
    report(
        "scheduler-member", {"killed": victim, **books_of(replicated, load, order_ids, sku, medic)}
    )


def test_a_replica_killed_with_its_sidecar(
    replicated: Stack, report: Report, rng: random.Random
) -> None:
    victim = replicated.replicas["orders"][2]

    def kill_both() -> None:
        victim.app.kill()
        victim.daprd.kill()

    load, order_ids, sku, medic = checkouts_while(replicated, 1, kill_both, rng)
    figures = books_of(replicated, load, order_ids, sku, medic)
    # daprd answers its health check only once its app listens: the app comes back first.
    replicated.start_app_process(victim, wait=False)
    replicated.start_sidecar(victim)
    replicated.wait_ready(victim)
    report("replica-and-sidecar", figures)
    assert all(r.app.running and r.daprd.running for r in replicated.replicas["orders"])
