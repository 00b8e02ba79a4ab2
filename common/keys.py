"""State keys from what callers send: Dapr refuses keys holding `||` (its own separator), and
a caller's id may hold any character, so such parts become a digest."""

import hashlib


def opaque(*parts: str) -> str:
    """A fixed-length digest of `parts`; the same parts always give the same digest."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]
