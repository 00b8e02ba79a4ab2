"""Item pictures: the bytes in the images binding (common/blobs.py), what they are on the item
(its Inventory actor, and from its events the catalog read model).

An upload writes its blob first, under a key of its own (the content's digest and an upload
id), then shows it on the item in one actor turn; the picture it replaced is deleted last. So a
crash at any point leaves at worst a blob nothing points at, never an item pointing at a
missing blob. The key is per upload rather than per content because blobs are deleted after
the turn: a second upload of the same bytes could rewrite a blob just before a concurrent
replacement deletes it, and then point the item at nothing.
"""

import hashlib
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog

from actors.clients import InventoryActors
from actors.messages import ImageMeta, ItemView
from actors.outcome import Refused
from app.image_types import ImageType
from common.blobs import Blobs, BlobStoreError
from domain.errors import NotFound

log = structlog.get_logger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Picture:
    meta: ImageMeta
    # None when the caller's copy is current (If-None-Match).
    data: bytes | None


class ItemImages:
    def __init__(
        self, inventory: InventoryActors, blobs: Blobs, clock: Callable[[], str] = _now
    ) -> None:
        self._inventory, self._blobs, self._clock = inventory, blobs, clock

    async def upload(self, sku: str, kind: ImageType, data: bytes) -> ItemView:
        """Stores the picture and shows it on the item; the same bytes again change nothing."""
        item = await self._item(sku)
        digest = hashlib.sha256(data).hexdigest()
        shown = item["image"]
        if shown and (shown["digest"], shown["content_type"]) == (digest, kind.content_type):
            return item
        key = f"items/{sku}/{digest}-{uuid.uuid4().hex[:12]}.{kind.extensions[0]}"
        meta: ImageMeta = {
            "key": key,
            "content_type": kind.content_type,
            "size": len(data),
            "digest": digest,
            "updated_at": self._clock(),
        }
        await self._blobs.put(key, data, kind.content_type)
        try:
            change = await self._inventory.show_image(sku, meta)
        except Refused:
            # The actor said no: no item points at the new blob. (Any other failure may
            # still have shown it, so the blob stays.)
            await self._forget(key)
            raise
        if change["replaced"]:
            await self._forget(change["replaced"]["key"])
        return change["item"]

    async def download(self, sku: str, held: Collection[str] = ()) -> Picture:
        """The item's picture; its bytes unless the caller `held` its digest already (or
        holds any: "*")."""
        meta = await self._meta(sku)
        if meta["digest"] in held or "*" in held:
            return Picture(meta, None)
        try:
            data = await self._blobs.get(meta["key"])
        except BlobStoreError:
            # Replaced (and its blob deleted) since it was read? Then the new one is there.
            fresh = await self._meta(sku)
            if fresh["key"] == meta["key"]:
                raise
            meta, data = fresh, await self._blobs.get(fresh["key"])
        if hashlib.sha256(data).hexdigest() != meta["digest"]:
            raise BlobStoreError(f"the blob {meta['key']} does not hold the bytes stored")
        return Picture(meta, data)

    async def _item(self, sku: str) -> ItemView:
        item = await self._inventory.get(sku)
        if item is None:
            raise NotFound(f"No item {sku!r}.")
        return item

    async def _meta(self, sku: str) -> ImageMeta:
        image = (await self._item(sku))["image"]
        if image is None:
            raise NotFound(f"Item {sku!r} has no picture.")
        return image

    async def _forget(self, key: str) -> None:
        """Deletes a blob no item points at; one left behind is only wasted space."""
        try:
            await self._blobs.delete(key)
        except BlobStoreError as error:
            log.warning("a picture's blob was left behind", key=key, error=str(error))
