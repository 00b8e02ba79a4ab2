"""An actor's state names reach the sidecar as they are, whatever text callers put in them."""

import asyncio

import pytest

from actors.messages import ItemDefinition
from actors.outcome import unwrap
from domain.stock import restock_record
from tests.fakes.actors import Events, MemorySidecar, activate_inventory

ITEM: ItemDefinition = {"name": "Tea", "price_cents": 450, "stock": 0, "low_stock_threshold": 0}
# What JSON must escape, and what it would read as another character if written raw.
REFS = ['a "quoted" ref', "back\\slash", "tab\there", "u\\u0041x", 'e\\"q', "é/?#%20"]


@pytest.mark.parametrize("ref", REFS)
def test_a_restock_record_is_saved_and_found_under_its_own_name(ref: str) -> None:
    async def scenario() -> tuple[int, MemorySidecar]:
        sidecar = MemorySidecar()
        inventory = activate_inventory(sidecar, Events())
        await inventory.create(ITEM)
        for _ in range(2):
            change = unwrap(await inventory.restock({"quantity": 3, "ref": ref}))
        return change["item"]["available"], sidecar

    available, sidecar = asyncio.run(scenario())

    assert available == 3
    assert sidecar.stored("Inventory", "tea", restock_record(ref)) == 3
