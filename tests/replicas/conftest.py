"""Three replicas of each app, each beside its own daprd, with the control plane highly
available (3 placement in Raft, 3 scheduler in one etcd cluster) and HAProxy in front of the
orders replicas: the service as production runs it."""

from collections.abc import Iterator
from dataclasses import replace

import pytest

from devstack.processes import free_port
from devstack.runtime import ensure_runtime
from devstack.stack import Stack
from tests.support.stacks import ORDERS_ENV, PAYMENTS_ENV, profile_run_file, stopped_after
from tests.support.stacks import pytest_runtest_makereport as pytest_runtest_makereport

REPLICAS = 3
# Strict limits, to show they hold for the service and not per replica; the digest job every
# few seconds, to count how often it runs.
REPLICA_ORDERS_ENV = {
    **ORDERS_ENV,
    "PERIMETER_LOGIN_RATE_LIMIT": "6/minute",
    "ORDERS_LOW_STOCK_DIGEST_SCHEDULE": "@every 3s",
    "LOG_FORMAT": "json",
}


@pytest.fixture(scope="session")
def replicated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    run_file = profile_run_file()
    workdir = tmp_path_factory.mktemp("replicas")
    stack = Stack(ensure_runtime(), workdir, run_file, control_plane_size=3)
    with stopped_after(request.config, stack):
        stack.start_control_plane()
        payments, orders = run_file.apps["payments"], run_file.apps["orders"]
        stack.start_replicas(
            replace(payments, env={**payments.env, **PAYMENTS_ENV}).on_free_ports(), REPLICAS
        )
        orders = replace(orders, env={**orders.env, **REPLICA_ORDERS_ENV})
        stack.start_replicas(orders, REPLICAS, front_door_port=free_port())
        yield stack
