"""The one connection to this app's Dapr sidecar, built once in the lifespan and shared."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dapr.actor import ActorProxyFactory
from dapr.aio.clients import DaprClient

from app.settings import SidecarSettings

API_TOKEN_HEADER = "dapr-api-token"


@dataclass(frozen=True)
class Sidecar:
    """The SDK's gRPC client for building blocks, plus the sidecar's HTTP API for what the SDK
    does not cover well (service invocation, health, metadata)."""

    settings: SidecarSettings
    dapr: DaprClient
    http: httpx.AsyncClient
    actors: ActorProxyFactory

    async def is_healthy(self) -> bool:
        """True when the sidecar can serve outbound calls (components and APIs are up)."""
        try:
            response = await self.http.get("/v1.0/healthz/outbound")
        except httpx.HTTPError:
            return False
        return response.status_code == httpx.codes.NO_CONTENT

    async def metadata(self) -> dict[str, Any]:
        response = await self.http.get("/v1.0/metadata")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def invoke(
        self, app_id: str, method: str, *, verb: str = "GET", **kwargs: Any
    ) -> httpx.Response:
        """Calls another app by its app-id through this sidecar (service invocation)."""
        return await self.http.request(verb, f"/v1.0/invoke/{app_id}/method/{method}", **kwargs)


@asynccontextmanager
async def connect(settings: SidecarSettings) -> AsyncIterator[Sidecar]:
    headers = {}
    if settings.api_token is not None:
        headers[API_TOKEN_HEADER] = settings.api_token.get_secret_value()
    async with (
        DaprClient(settings.grpc_address) as dapr,
        httpx.AsyncClient(base_url=settings.http_url, headers=headers, timeout=10.0) as http,
    ):
        yield Sidecar(settings, dapr, http, ActorProxyFactory())
