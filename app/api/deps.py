"""Request-level dependencies shared by the API routes."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends


@dataclass(frozen=True)
class Principal:
    id: str
    roles: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles


def current_user() -> Principal:
    """Who is calling. Until authentication lands, every caller acts as one admin."""
    return Principal(id="anonymous", roles=frozenset({"admin", "customer"}))


def require_admin(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]
AdminUser = Annotated[Principal, Depends(require_admin)]
