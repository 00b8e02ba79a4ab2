"""Who is calling, proven by the caller: a short-lived signed assertion one app puts on a
service invocation and the other verifies.

daprd does not prove the caller to the app without mTLS: a client of any sidecar can set
`dapr-caller-app-id`, and daprd passes it on (see the README's trust model). The assertion is
an HS256 JWT signed with a key from the secret store that only the two apps read; it names
the caller and the callee and is bound to the method, the path and a digest of the body, so
it cannot be moved to another request, and it expires after a minute.
"""

import hashlib
import time
from dataclasses import dataclass

import jwt

HEADER = "x-caller-assertion"
ALGORITHM = "HS256"
LIFETIME_SECONDS = 60


class InvalidCaller(Exception):
    pass


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class CallerKey:
    """The shared key; `app_id` is this app's own id."""

    key: str
    app_id: str

    def __post_init__(self) -> None:
        if len(self.key) < 32:
            raise ValueError("the caller assertion key must have at least 32 characters")

    def sign(self, callee: str, method: str, path: str, body: bytes) -> str:
        now = int(time.time())
        claims = {
            "iss": self.app_id,
            "aud": callee,
            "iat": now,
            "exp": now + LIFETIME_SECONDS,
            "htm": method.upper(),
            "htu": "/" + path.lstrip("/"),
            "bdy": _digest(body),
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def verify(self, assertion: str, method: str, path: str, body: bytes) -> str:
        """The caller's app id, when the assertion is valid for exactly this request."""
        try:
            claims = jwt.decode(
                assertion,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.app_id,
                options={"require": ["iss", "aud", "exp", "iat", "htm", "htu", "bdy"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidCaller(f"the caller assertion is not valid: {error}") from error
        wanted = (method.upper(), "/" + path.lstrip("/"), _digest(body))
        if (claims["htm"], claims["htu"], claims["bdy"]) != wanted:
            raise InvalidCaller("the caller assertion was made for another request")
        caller: str = claims["iss"]
        return caller
