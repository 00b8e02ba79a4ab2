"""Item pictures in-process: the bytes decide the type, every refusal is a problem document
that stores nothing, and a replaced picture's blob is deleted after the item moved on."""

import asyncio
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi.testclient import TestClient

from actors.messages import ItemDefinition
from actors.outcome import Refused
from app.image_types import PNG as PNG_TYPE
from app.images import ItemImages
from app.settings import AppSettings
from tests.api.conftest import ADMIN, World, in_process, settings, sign_in
from tests.api.test_validation import ITEM, assert_problem
from tests.fakes.blobs import MemoryBlobs
from tests.fakes.catalog import FakeInventory
from tests.pictures import GIF, JPEG, SVG, WEBP, png

IMAGE = "/api/v1/items/tea/image"
PNG = png()


@pytest.fixture
def tea(api: TestClient, admin: dict[str, str]) -> None:
    assert api.post("/api/v1/items", json=ITEM, headers=admin).status_code == 201


@pytest.mark.usefixtures("tea")
def test_an_uploaded_picture_is_served_back_as_it_was(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    stored = api.put(IMAGE, content=PNG, headers={**admin, "content-type": "image/png"})
    served = api.get(IMAGE)

    assert stored.status_code == 200, stored.text
    image = stored.json()["image"]
    assert image == {**image, "content_type": "image/png", "size": len(PNG)}
    assert "key" not in image
    assert stored.headers["etag"] == served.headers["etag"] == f'"{image["digest"]}"'
    assert served.content == PNG
    assert served.headers["content-type"] == "image/png"
    assert served.headers["cache-control"] == "public, max-age=60"
    assert api.get("/api/v1/items/tea").json()["image"] == image
    assert list(world.blobs.types.values()) == ["image/png"]


@pytest.mark.usefixtures("tea")
def test_a_client_holding_the_current_picture_gets_304(
    api: TestClient, admin: dict[str, str]
) -> None:
    etag = api.put(IMAGE, content=PNG, headers=admin).headers["etag"]

    held = api.get(IMAGE, headers={"If-None-Match": f'"other", {etag}'})
    stale = api.get(IMAGE, headers={"If-None-Match": '"other"'})

    assert (held.status_code, held.content, held.headers["etag"]) == (304, b"", etag)
    assert (stale.status_code, stale.content) == (200, PNG)


@pytest.mark.usefixtures("tea")
@pytest.mark.parametrize(
    ("data", "content_type"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (GIF, "image/gif")],
)
@pytest.mark.parametrize("declared", [None, "application/octet-stream", "same"])
def test_the_bytes_decide_the_type(
    api: TestClient, admin: dict[str, str], data: bytes, content_type: str, declared: str | None
) -> None:
    headers = dict(admin)
    if declared is not None:
        headers["content-type"] = content_type if declared == "same" else declared

    assert api.put(IMAGE, content=data, headers=headers).status_code == 200
    assert api.get(IMAGE).headers["content-type"] == content_type


@pytest.mark.usefixtures("tea")
@pytest.mark.parametrize(
    ("data", "content_type", "filename", "status"),
    [
        (b"plain text, not a picture", "image/png", None, 415),
        (SVG, "image/svg+xml", None, 415),
        (SVG, "image/png", None, 415),
        (PNG, "text/plain", None, 415),
        (PNG, "application/x-www-form-urlencoded", None, 415),
        (PNG, "image/jpeg", None, 422),
        (JPEG, "image/png; charset=binary", None, 422),
        (PNG, "image/png", "tea.jpg", 422),
        (PNG, "image/png", "tea", 422),
        (GIF, "image/gif", "tea.gif.png", 422),
        (b"", "image/png", None, 422),
    ],
)
def test_a_picture_that_is_not_what_it_says_is_refused_and_nothing_is_stored(
    api: TestClient,
    admin: dict[str, str],
    world: World,
    data: bytes,
    content_type: str,
    filename: str | None,
    status: int,
) -> None:
    params = {"filename": filename} if filename else {}
    response = api.put(
        IMAGE, content=data, params=params, headers={**admin, "content-type": content_type}
    )

    assert_problem(response, status)
    assert world.blobs.blobs == {}
    assert api.get("/api/v1/items/tea").json()["image"] is None


@pytest.mark.usefixtures("tea")
def test_a_file_name_that_fits_is_taken(api: TestClient, admin: dict[str, str]) -> None:
    for name in ("tea.PNG", "my tea.png"):
        assert (
            api.put(IMAGE, content=PNG, params={"filename": name}, headers=admin).status_code == 200
        )
    assert (
        api.put(IMAGE, content=JPEG, params={"filename": "a.jpeg"}, headers=admin).status_code
        == 200
    )


@pytest.fixture
def small_cap(world: World) -> Iterator[TestClient]:
    chosen = replace(settings(), service=AppSettings(image_max_bytes=4096))
    with in_process(world, chosen) as api:
        yield api


def test_a_picture_over_the_cap_is_413_declared_or_streamed(
    small_cap: TestClient, world: World
) -> None:
    api = small_cap
    admin = sign_in(api, *ADMIN)
    assert api.post("/api/v1/items", json=ITEM, headers=admin).status_code == 201
    just = (PNG + b"\0" * 4096)[:4096]
    big = png(40)
    assert len(big) > 4096

    def chunks() -> Iterator[bytes]:
        yield big[:3000]
        yield big[3000:]

    declared = api.put(IMAGE, content=big, headers={**admin, "content-type": "image/png"})
    streamed = api.put(IMAGE, content=chunks(), headers={**admin, "content-type": "image/png"})
    at_the_cap = api.put(IMAGE, content=just, headers={**admin, "content-type": "image/png"})

    assert_problem(declared, 413)
    assert_problem(streamed, 413)
    assert at_the_cap.status_code == 200
    assert list(world.blobs.blobs.values()) == [just]
    # Other routes keep the edge's own cap.
    json_body = b'{"quantity": 1, "x": "' + b"x" * 70_000 + b'"}'
    restock = api.post("/api/v1/items/tea/restock", content=json_body, headers=admin)
    assert_problem(restock, 413)


def test_an_unknown_item_is_404_and_nothing_is_stored(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    assert_problem(api.put("/api/v1/items/nope/image", content=PNG, headers=admin), 404)
    assert_problem(api.get("/api/v1/items/nope/image"), 404)
    assert world.blobs.blobs == {}


@pytest.mark.usefixtures("tea")
def test_an_item_without_a_picture_is_404(api: TestClient) -> None:
    assert_problem(api.get(IMAGE), 404)


@pytest.mark.usefixtures("tea")
def test_only_an_admin_uploads_and_anyone_reads(
    api: TestClient, admin: dict[str, str], customer: dict[str, str], world: World
) -> None:
    assert_problem(api.put(IMAGE, content=PNG), 401)
    assert_problem(api.put(IMAGE, content=PNG, headers=customer), 403)
    assert_problem(api.put(IMAGE, content=PNG, headers={"Authorization": "Bearer forged"}), 401)
    assert world.blobs.blobs == {}

    assert api.put(IMAGE, content=PNG, headers=admin).status_code == 200
    assert api.get(IMAGE).content == api.get(IMAGE, headers=customer).content == PNG


@pytest.mark.usefixtures("tea")
def test_a_new_picture_replaces_the_old_whose_blob_is_deleted(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    first, second = png(seed=1), png(seed=2)
    one = api.put(IMAGE, content=first, headers=admin)
    two = api.put(IMAGE, content=second, headers=admin)
    again = api.put(IMAGE, content=second, headers=admin)

    assert one.headers["etag"] != two.headers["etag"] == again.headers["etag"]
    assert two.json() == again.json()
    assert api.get(IMAGE).content == second
    assert list(world.blobs.blobs.values()) == [second]


@pytest.mark.usefixtures("tea")
@pytest.mark.parametrize(
    ("data", "content_type"),
    [(b"not a picture", "image/png"), (JPEG, "image/png"), (png(2000), "image/png")],
)
def test_a_bad_upload_leaves_the_previous_picture_as_it_was(
    api: TestClient, admin: dict[str, str], world: World, data: bytes, content_type: str
) -> None:
    api.put(IMAGE, content=PNG, headers=admin)
    before = dict(world.blobs.blobs)

    refused = api.put(IMAGE, content=data, headers={**admin, "content-type": content_type})

    assert refused.status_code in (413, 415, 422)
    assert api.get(IMAGE).content == PNG
    assert world.blobs.blobs == before


@pytest.mark.usefixtures("tea")
def test_a_store_that_fails_the_write_is_503_and_the_item_is_unchanged(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    api.put(IMAGE, content=PNG, headers=admin)
    world.blobs.failing_puts = 1

    failed = api.put(IMAGE, content=png(seed=3), headers=admin)

    assert_problem(failed, 503)
    assert failed.headers["retry-after"]
    assert api.get(IMAGE).content == PNG


@pytest.mark.usefixtures("tea")
def test_an_old_blob_that_cannot_be_deleted_is_left_behind_not_pointed_at(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    api.put(IMAGE, content=PNG, headers=admin)
    world.blobs.failing_deletes = 1

    replaced = api.put(IMAGE, content=png(seed=4), headers=admin)

    assert replaced.status_code == 200
    assert api.get(IMAGE).content == png(seed=4)
    assert sorted(world.blobs.blobs.values()) == sorted([PNG, png(seed=4)])


@pytest.mark.usefixtures("tea")
def test_an_upload_is_replayed_on_its_idempotency_key_and_bytes(
    api: TestClient, admin: dict[str, str], world: World
) -> None:
    keyed = {**admin, "Idempotency-Key": "picture-1", "content-type": "image/png"}
    # Two bodies that differ only in bytes that are not UTF-8 text.
    first, other = PNG + b"\xff\xfe", PNG + b"\xfe\xff"

    one = api.put(IMAGE, content=first, headers=keyed)
    again = api.put(IMAGE, content=first, headers=keyed)
    mismatch = api.put(IMAGE, content=other, headers=keyed)

    assert one.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == one.headers["etag"]
    assert again.json() == one.json()
    assert_problem(mismatch, 422)
    assert list(world.blobs.blobs.values()) == [first]


@pytest.mark.parametrize(
    ("failure", "blobs_left"),
    [(Refused("NotFound", "no item tea"), 0), (httpx.ReadTimeout("no answer"), 1)],
)
def test_a_refused_show_deletes_the_new_blob_and_an_unanswered_one_keeps_it(
    failure: Exception, blobs_left: int
) -> None:
    """Refused: no item points at the blob. No answer: the turn may have run, so the blob
    must stay (at worst unreferenced, never missing)."""
    inventory, blobs = FakeInventory(), MemoryBlobs()
    inventory.failing_show = failure
    definition: ItemDefinition = {
        "name": "Tea",
        "price_cents": 1,
        "stock": 1,
        "low_stock_threshold": 0,
    }
    asyncio.run(inventory.create("tea", definition))

    with pytest.raises(type(failure)):
        asyncio.run(ItemImages(inventory, blobs).upload("tea", PNG_TYPE, PNG))

    assert len(blobs.blobs) == blobs_left
