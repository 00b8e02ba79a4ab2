"""Pictures for the tests: real PNGs of any size (random pixels, so they do not compress), and
the smallest files the other accepted types start like."""

import random
import struct
import zlib

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8L\x18\x00\x00\x00\x2f\x00\x00\x00" + b"\x00" * 32
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def png(side: int = 8, seed: int = 0) -> bytes:
    """A valid RGB PNG, `side` pixels square, about 3 * side**2 bytes."""
    pixels = random.Random(seed).randbytes(3 * side)
    rows = b"".join(
        b"\x00" + pixels[3 * (y % side) :] + pixels[: 3 * (y % side)] for y in range(side)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )
