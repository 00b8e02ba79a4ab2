"""Argon2id password hashes and the minimal password policy."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.auth.errors import WeakPassword

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()
# Verifying against this when the user does not exist costs the same time as a real check, so
# response times do not tell which e-mail addresses have accounts.
_DECOY_HASH = _hasher.hash("decoy password that matches nothing")


def check_policy(password: str, email: str) -> None:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise WeakPassword(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    lowered = password.casefold()
    local_part = email.split("@", 1)[0].casefold()
    if lowered == email.casefold() or (len(local_part) >= 4 and local_part in lowered):
        raise WeakPassword("a password must not contain the e-mail address")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DECOY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
