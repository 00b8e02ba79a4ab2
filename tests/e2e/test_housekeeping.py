"""The cron input binding purges finished sagas past their retention, on its own stack.

This stack's copy of the components runs housekeeping every 2 s with a retention of zero, so
the purge can be watched without touching the sagas of other tests.
"""

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.stack import RunFile, Stack
from tests.e2e.api import orders_client
from tests.e2e.checkout import final_order, place
from tests.e2e.conftest import ORDERS_ENV, profile_run_file, running_stack
from tests.e2e.eventually import eventually
from tests.e2e.test_catalog import new_item


def components_with_fast_housekeeping(into: Path) -> Path:
    components = RunFile.load().resources_paths[0]
    shutil.copytree(components, into)
    cron = into / "housekeeping.yaml"
    cron.write_text(cron.read_text().replace('"@every 1m"', '"@every 2s"'))
    return into


@pytest.fixture(scope="module")
def purging_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("purging")
    run_file = profile_run_file()
    components = components_with_fast_housekeeping(workdir / "components")
    run_file = replace(run_file, resources_paths=[components, *run_file.resources_paths[1:]])
    env = {**ORDERS_ENV, "ORDERS_SAGA_RETENTION_SECONDS": "0"}
    with running_stack(request.config, workdir, run_file, env) as stack:
        yield stack


def test_finished_sagas_are_purged_after_their_retention(purging_stack: Stack) -> None:
    with orders_client(purging_stack.apps["orders"]) as api:
        sku = new_item(api, stock=2)["sku"]
        order_id = place(api, [(sku, 1)])
        assert final_order(api, order_id)["status"] == "confirmed"

        eventually(
            lambda: api.get(f"/api/v1/orders/{order_id}/saga").status_code == 404 or None,
            what="housekeeping to purge the finished saga",
        )
        assert api.get(f"/api/v1/orders/{order_id}").json()["status"] == "confirmed"
