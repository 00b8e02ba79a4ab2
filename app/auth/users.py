"""User accounts, one document per user in the state store, through the sidecar."""

import hashlib
from dataclasses import dataclass
from typing import Any

from common.state import Documents, insert_document, read_document


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def user_id_for(email: str) -> str:
    """The id is derived from the e-mail address, so the account document's key is unique per
    address: registering is one insert-only write, and two racing sign-ups cannot both win."""
    return "u_" + hashlib.sha256(normalize_email(email).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str
    roles: frozenset[str]
    password_hash: str
    created_at: str

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "roles": sorted(self.roles),
            "password_hash": self.password_hash,
            "created_at": self.created_at,
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> "User":
        return cls(**{**document, "roles": frozenset(document["roles"])})


class UserStore:
    def __init__(self, store: Documents) -> None:
        self._store = store

    async def add(self, user: User) -> bool:
        """Stores a new user; False when the e-mail address already has an account."""
        return await insert_document(self._store, _key(user.id), user.to_document())

    async def get(self, user_id: str) -> User | None:
        document = await read_document(self._store, _key(user_id))
        return User.from_document(document) if document else None

    async def by_email(self, email: str) -> User | None:
        return await self.get(user_id_for(email))


def _key(user_id: str) -> str:
    return f"user|{user_id}"
