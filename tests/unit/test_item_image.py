"""An item's picture on the Inventory actor: shown in one turn with the event that tells the
read model, the replaced one answered so its blob can go, the same one again a no-op."""

import asyncio
from typing import Any

from actors.messages import ImageMeta, ItemDefinition
from domain.catalog import Image, Item
from tests.fakes.actors import Events, MemorySidecar, activate_inventory, after_turns

ITEM: ItemDefinition = {"name": "Tea", "price_cents": 450, "stock": 10, "low_stock_threshold": 0}


def meta(key: str) -> ImageMeta:
    return {
        "key": key,
        "content_type": "image/png",
        "size": 10,
        "digest": f"digest-of-{key}",
        "updated_at": "2026-12-01T10:00:00+00:00",
    }


def test_showing_a_picture_answers_the_one_it_replaced() -> None:
    item = Item.create("tea", "Tea", 450, 1, 0)
    first, second = Image(**meta("a")), Image(**meta("b"))

    assert item.show(first) is None
    assert item.show(first) is None
    assert item.show(second) == first
    assert item.image == second


def test_a_stored_item_keeps_its_picture_and_one_stored_before_pictures_has_none() -> None:
    item = Item.create("tea", "Tea", 450, 1, 0)
    item.show(Image(**meta("a")))
    stored = item.to_dict()
    older = {name: value for name, value in stored.items() if name != "image"}

    assert Item.from_dict(stored) == item
    assert Item.from_dict(older).image is None


def test_the_actor_shows_a_picture_once_and_announces_it() -> None:
    async def scenario() -> tuple[list[Any], list[dict[str, Any]], Any]:
        sidecar, events = MemorySidecar(), Events()
        inventory = activate_inventory(sidecar, events)
        await inventory.create(ITEM)
        answers = [
            await inventory.show_image(meta("a")),
            await inventory.show_image(meta("a")),
            await inventory.show_image(meta("b")),
        ]
        await after_turns()
        stored = sidecar.stored("Inventory", "tea", "item")
        return answers, events.published, stored

    answers, published, stored = asyncio.run(scenario())
    values = [answer["value"] for answer in answers]
    assert [value["replaced"] for value in values] == [None, None, meta("a")]
    assert values[2]["item"]["image"] == meta("b")
    assert [event["type"] for event in published] == ["inventory.item_created"] + [
        "inventory.item_updated"
    ] * 2
    assert published[-1]["data"]["image"] == meta("b")
    assert stored["item"]["image"] == meta("b")


def test_an_unknown_item_refuses_a_picture() -> None:
    async def scenario() -> Any:
        inventory = activate_inventory(MemorySidecar(), Events(), "nothing")
        return await inventory.show_image(meta("a"))

    assert asyncio.run(scenario()) == {
        "ok": False,
        "error": "NotFound",
        "detail": "no item nothing",
    }
