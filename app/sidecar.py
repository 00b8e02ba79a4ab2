"""The one connection to this app's Dapr sidecar, built once in the lifespan and shared."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from dapr.actor import ActorId, ActorInterface, ActorProxy
from dapr.aio.clients import DaprClient
from dapr.clients.http.dapr_actor_http_client import DaprActorHttpClient
from opentelemetry import propagate

from actors.serializer import PlainJson
from app.settings import SidecarSettings

API_TOKEN_HEADER = "dapr-api-token"


@dataclass(frozen=True)
class Sidecar:
    """The SDK's gRPC client for building blocks, plus the sidecar's HTTP API for what the SDK
    does not cover well (service invocation, health, metadata)."""

    settings: SidecarSettings
    dapr: DaprClient
    http: httpx.AsyncClient
    actors: "TracedActorProxies"

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


def _token_header(settings: SidecarSettings) -> dict[str, str]:
    if settings.api_token is None:
        return {}
    return {API_TOKEN_HEADER: settings.api_token.get_secret_value()}


@asynccontextmanager
async def connect(settings: SidecarSettings) -> AsyncIterator[Sidecar]:
    headers = _token_header(settings)
    async with (
        DaprClient(settings.grpc_address) as dapr,
        httpx.AsyncClient(base_url=settings.http_url, headers=headers, timeout=30.0) as http,
    ):
        actors = TracedActorProxies(settings.actor_call_timeout_seconds)
        yield Sidecar(settings, dapr, http, actors)


class TracedActorProxies:
    """Actor proxies over one shared HTTP client whose calls carry the current W3C trace
    context, so an actor method and the events it publishes join the caller's trace."""

    def __init__(self, timeout_seconds: int) -> None:
        self._serializer = PlainJson()
        self._client = DaprActorHttpClient(
            self._serializer, timeout=timeout_seconds, headers_callback=_trace_headers
        )

    def create(
        self,
        actor_type: str,
        actor_id: ActorId,
        actor_interface: type[ActorInterface] | None = None,
    ) -> ActorProxy:
        return ActorProxy(self._client, actor_type, actor_id, actor_interface, self._serializer)


def _trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class LoopBoundHttp:
    """The sidecar's HTTP API for code on another event loop than the web app's: the workflow
    worker runs activities on its own loop, and an httpx client belongs to one loop."""

    def __init__(self, settings: SidecarSettings) -> None:
        self._settings = settings
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __call__(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = httpx.AsyncClient(
                base_url=self._settings.http_url,
                headers=_token_header(self._settings),
                timeout=30.0,
            )
            self._loop = loop
        return self._client
