"""Stacks for the suites that run the real runtime: placement, scheduler and each app beside
its own daprd on free ports, as processes or containers (DAPR_STACK), with the profile
DAPR_PROFILE names; and the report hook that shows their logs when a test fails."""

import os
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.runfile import RunFile
from devstack.stack import Stack
from devstack.stacks import new_stack

_STACKS_KEY = pytest.StashKey[list[Stack]]()
# Short enough to watch a timeout happen; tok_slow still outlasts the 3 s resiliency timeout.
ORDERS_ENV = {
    "ORDERS_PAYMENT_ACTION_TIMEOUT_SECONDS": "6",
    # Pending orders are checked for a running saga often enough to see it within a test.
    "ORDERS_SAGA_WATCH_SECONDS": "3",
    # The suite is one client hammering the API; the limits have their own stack and tests.
    "PERIMETER_GENERAL_RATE_LIMIT": "1000000/minute",
    "PERIMETER_REGISTER_RATE_LIMIT": "1000000/minute",
    "PERIMETER_LOGIN_RATE_LIMIT": "1000000/minute",
}
PAYMENTS_ENV = {"PAYMENTS_SLOW_DELAY_SECONDS": "4"}


def profile_run_file() -> RunFile:
    """dapr.yaml with the components of the profile named by DAPR_PROFILE (default embedded)."""
    return RunFile.load().with_profile(os.environ.get("DAPR_PROFILE", "embedded"))


@contextmanager
def running_stack(
    config: pytest.Config, workdir: Path, run_file: RunFile, orders_env: dict[str, str]
) -> Iterator[Stack]:
    """Control plane, payments and orders on free ports, as processes or containers
    (DAPR_STACK); stopped whatever happens."""
    with stopped_after(config, new_stack(workdir, run_file)) as stack:
        stack.start_control_plane()
        payments = run_file.apps["payments"].on_free_ports()
        stack.start_app(replace(payments, env={**payments.env, **PAYMENTS_ENV}))
        orders = run_file.apps["orders"].on_free_ports()
        stack.start_app(replace(orders, env={**orders.env, **orders_env}))
        yield stack


@contextmanager
def stopped_after(config: pytest.Config, stack: Stack) -> Iterator[Stack]:
    """The stack, its logs shown with any test that fails while it runs, and stopped
    whatever happens."""
    config.stash.setdefault(_STACKS_KEY, []).append(stack)
    try:
        yield stack
    finally:
        stack.stop()
        config.stash[_STACKS_KEY].remove(stack)


@contextmanager
def own_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    orders_env: dict[str, str],
    configure: Callable[[RunFile, Path], RunFile] = lambda run_file, _workdir: run_file,
) -> Iterator[Stack]:
    """A stack of its own for tests that change how orders (or the run) is configured."""
    workdir = tmp_path_factory.mktemp(name)
    run_file = configure(profile_run_file(), workdir)
    with running_stack(request.config, workdir, run_file, orders_env) as stack:
        yield stack


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        for stack in item.config.stash.get(_STACKS_KEY, []):
            for name, tail in stack.logs().items():
                report.sections.append((f"log of {name} in {stack.workdir.name}", tail))
    return report
