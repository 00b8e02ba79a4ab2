"""The real runtime: placement, scheduler and each app beside its own daprd, on free ports.

One stack serves the whole session; every process keeps a log, and a failing test shows the
end of each one.
"""

from collections.abc import Iterator

import httpx
import pytest

from devstack.stack import RunningApp, Stack
from tests.support.api import orders_client, payments_client, sidecar_client
from tests.support.stacks import ORDERS_ENV, profile_run_file, running_stack
from tests.support.stacks import pytest_runtest_makereport as pytest_runtest_makereport


@pytest.fixture(scope="session")
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("stack")
    with running_stack(request.config, workdir, profile_run_file(), ORDERS_ENV) as stack:
        yield stack


@pytest.fixture(scope="session")
def orders(stack: Stack) -> RunningApp:
    return stack.apps["orders"]


@pytest.fixture(scope="session")
def payments(stack: Stack) -> RunningApp:
    return stack.apps["payments"]


@pytest.fixture
def orders_api(orders: RunningApp) -> Iterator[httpx.Client]:
    with orders_client(orders) as client:
        yield client


@pytest.fixture
def payments_api(payments: RunningApp) -> Iterator[httpx.Client]:
    with payments_client(payments) as client:
        yield client


@pytest.fixture
def orders_sidecar(orders: RunningApp) -> Iterator[httpx.Client]:
    with sidecar_client(orders) as client:
        yield client
