"""The runtime purges finished sagas' workflow state by the Configuration's retention policy,
on a stack of its own whose Configuration keeps finished sagas for no time at all."""

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from devstack.runfile import RunFile
from devstack.stack import Stack
from tests.support.api import orders_client
from tests.support.catalog import new_item
from tests.support.checkout import final_order, place
from tests.support.eventually import eventually
from tests.support.stacks import ORDERS_ENV, own_stack


def without_retention(run_file: RunFile, workdir: Path) -> RunFile:
    config = yaml.safe_load(run_file.config_path.read_text())
    config["spec"]["workflow"]["stateRetentionPolicy"] = {"anyTerminal": "0s"}
    copy = workdir / "config.yaml"
    copy.write_text(yaml.safe_dump(config))
    return replace(run_file, config_path=copy)


@pytest.fixture(scope="module")
def purging_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with own_stack(request, tmp_path_factory, "purging", ORDERS_ENV, without_retention) as stack:
        yield stack


def test_finished_sagas_are_purged_after_their_retention(purging_stack: Stack) -> None:
    with orders_client(purging_stack.apps["orders"]) as api:
        sku = new_item(api, stock=2)["sku"]
        order_id = place(api, [(sku, 1)])
        assert final_order(api, order_id)["status"] == "confirmed"

        eventually(
            lambda: api.get(f"/api/v1/orders/{order_id}/saga").status_code == 404 or None,
            what="the runtime to purge the finished saga",
        )
        assert api.get(f"/api/v1/orders/{order_id}").json()["status"] == "confirmed"
