"""An output binding that takes named documents (local files, an HTTP webhook), through the
sidecar: `create` with the name as `fileName` (local storage) and `path` (HTTP)."""

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import httpx


class Notifications(Protocol):
    async def send(self, name: str, document: Mapping[str, Any]) -> None: ...


class NamedDocuments:
    def __init__(self, http: Callable[[], httpx.AsyncClient], binding: str) -> None:
        self._http, self._binding = http, binding

    async def send(self, name: str, document: Mapping[str, Any]) -> None:
        """The same name sent again overwrites, so a retried send leaves one document."""
        body = {
            "operation": "create",
            "data": document,
            "metadata": {"fileName": name, "path": name},
        }
        response = await self._http().post(f"/v1.0/bindings/{self._binding}", json=body)
        response.raise_for_status()
