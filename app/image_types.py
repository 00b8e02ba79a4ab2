"""What an uploaded picture is, judged from its first bytes (its magic number), never from what
the client says about it; what the client does say (a Content-Type, a file name) must agree.

SVG is not taken: it is a document that can carry scripts, not a picture."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ImageType:
    name: str
    content_type: str
    extensions: tuple[str, ...]


PNG = ImageType("PNG", "image/png", ("png",))
JPEG = ImageType("JPEG", "image/jpeg", ("jpg", "jpeg"))
WEBP = ImageType("WebP", "image/webp", ("webp",))
GIF = ImageType("GIF", "image/gif", ("gif",))
ACCEPTED = (PNG, JPEG, WEBP, GIF)
ACCEPTED_NAMES = "PNG, JPEG, WebP or GIF"
# Says nothing about the type: the bytes decide.
UNTYPED = {"", "application/octet-stream"}


class ImageRefused(Exception):
    """An upload that is not stored, with the status that says why (413, 415, 422)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def sniff(data: bytes) -> ImageType | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    return None


def judge(data: bytes, declared: str | None, filename: str | None, max_bytes: int) -> ImageType:
    """The type of an upload, or ImageRefused: too large (413), not an accepted picture or
    declared as something not accepted (415), empty, or declared or named as another type
    than it is (422)."""
    if len(data) > max_bytes:
        raise ImageRefused(413, f"The picture is larger than {max_bytes} bytes.")
    if not data:
        raise ImageRefused(422, "The body is empty: send the picture's bytes.")
    kind = sniff(data)
    if kind is None:
        raise ImageRefused(415, f"The body is not a {ACCEPTED_NAMES} picture.")
    media = (declared or "").partition(";")[0].strip().lower()
    if media not in UNTYPED and media != kind.content_type:
        if media not in {accepted.content_type for accepted in ACCEPTED}:
            detail = f"Content-Type {media} is not accepted: send {ACCEPTED_NAMES}."
            raise ImageRefused(415, detail)
        raise ImageRefused(422, f"The body is a {kind.name} picture, not {media} as declared.")
    if filename is not None:
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        if extension not in kind.extensions:
            fitting = " or ".join(f".{name}" for name in kind.extensions)
            detail = f"The file name {filename!r} does not fit a {kind.name} picture ({fitting})."
            raise ImageRefused(422, detail)
    return kind
