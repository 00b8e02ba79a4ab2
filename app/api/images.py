"""Item pictures: an admin uploads one with PUT (the raw bytes as the body), anyone reads it
with GET, as the item itself. The bytes decide the type (app/image_types.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import Response as RawResponse

from app.api.deps import AdminUser, ImagesDep, SettingsDep
from app.api.models import ItemView, SkuPath
from app.image_types import ACCEPTED, ImageRefused, judge
from common.problems import documented_problems

router = APIRouter(prefix="/items", tags=["catalog"])

_BINARY = {"schema": {"type": "string", "format": "binary"}}
_PICTURE_TYPES = {kind.content_type: _BINARY for kind in ACCEPTED}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The picture's bytes; PNG, JPEG, WebP or GIF, judged from the bytes.",
        "content": {**_PICTURE_TYPES, "application/octet-stream": _BINARY},
    }
}
DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {"description": "The picture", "content": _PICTURE_TYPES},
    304: {"description": "Not Modified: the copy whose ETag was sent is current"},
}


@router.put("/{sku}/image", openapi_extra=UPLOAD_BODY, responses=documented_problems(415))
async def put_image(
    sku: SkuPath,
    request: Request,
    response: Response,
    images: ImagesDep,
    settings: SettingsDep,
    _admin: AdminUser,
    filename: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> ItemView:
    """Stores the item's picture, replacing the one before. `filename`, when given, must fit
    the type of the bytes."""
    data = await _read(request, settings.image_max_bytes)
    declared = request.headers.get("content-type")
    kind = judge(data, declared, filename, settings.image_max_bytes)
    item = ItemView.model_validate(await images.upload(sku, kind, data))
    assert item.image is not None
    response.headers["ETag"] = _etag(item.image.digest)
    return item


@router.get("/{sku}/image", response_class=RawResponse, responses=DOWNLOAD)
async def get_image(
    sku: SkuPath,
    images: ImagesDep,
    settings: SettingsDep,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> RawResponse:
    """The item's picture, with its ETag: send it back as If-None-Match to get a 304 while
    the picture has not changed."""
    picture = await images.download(sku, _held_digests(if_none_match))
    meta = picture.meta
    headers = {
        "ETag": _etag(meta["digest"]),
        "Cache-Control": f"public, max-age={settings.image_cache_seconds}",
    }
    if picture.data is None:
        return RawResponse(status_code=304, headers=headers)
    extension = meta["key"].rpartition(".")[2]
    headers["Content-Disposition"] = f'inline; filename="{sku}.{extension}"'
    return RawResponse(picture.data, media_type=meta["content_type"], headers=headers)


async def _read(request: Request, limit: int) -> bytes:
    """The body, refused as soon as it outgrows `limit` (the edge refused a larger declared
    Content-Length already)."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ImageRefused(413, f"The picture is larger than {limit} bytes.")
    return bytes(body)


def _etag(digest: str) -> str:
    return f'"{digest}"'


def _held_digests(if_none_match: str | None) -> frozenset[str]:
    """The digests of the copies the client holds (If-None-Match compares weakly)."""
    tags = (tag.strip().removeprefix("W/").strip('"') for tag in (if_none_match or "").split(","))
    return frozenset(tag for tag in tags if tag)
