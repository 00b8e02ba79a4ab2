"""Argon2id password hashes and the minimal password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 128


def check_policy(password: str, email: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    lowered = password.casefold()
    local_part = email.split("@", 1)[0].casefold()
    if lowered == email.casefold() or (len(local_part) >= 4 and local_part in lowered):
        raise WeakPassword("a password must not contain the e-mail address")


class Passwords:
    """Hashes and checks passwords; argon2-cffi's default parameters unless told otherwise
    (the in-process tests use cheap ones)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Verifying against this when the user does not exist costs the same time as a real
        # check, so response times do not tell which e-mail addresses have accounts.
        self._decoy = self._hasher.hash("decoy password that matches nothing")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False
