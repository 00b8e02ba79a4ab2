"""The one connection to this app's Dapr sidecar, built once in the lifespan and shared."""

import asyncio
import json
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import grpc
import httpx
from dapr.actor.runtime.reentrancy_context import reentrancy_ctx
from dapr.aio.clients import DaprClient
from dapr.clients.base import DAPR_REENTRANCY_ID_HEADER, DaprActorClientBase

from common.settings import SidecarSettings

API_TOKEN_HEADER = "dapr-api-token"


@dataclass(frozen=True)
class Sidecar:
    """The SDK's gRPC client for building blocks, plus the sidecar's HTTP API for what the SDK
    does not cover well (service invocation, health, metadata)."""

    settings: SidecarSettings
    dapr: DaprClient
    http: httpx.AsyncClient
    # Pooled clients for any event loop, shared by our calls to actors, what the SDK's actor
    # runtime asks of the sidecar for the actors this app hosts, and the saga's activities.
    pooled: "LoopBoundHttp"
    actors: "ActorHttp"
    actor_runtime: "ActorRuntimeHttp"

    async def is_healthy(self) -> bool:
        """True when the sidecar can serve outbound calls (components and APIs are up)."""
        try:
            response = await self.http.get("/v1.0/healthz/outbound")
        except httpx.HTTPError:
            return False
        return response.status_code == httpx.codes.NO_CONTENT

    async def answers_grpc(self) -> bool:
        """True when this app's gRPC channel reaches the sidecar now. After a sidecar restart the
        channel reconnects with a backoff of its own, seconds after the HTTP port answers."""
        try:
            await self.dapr.get_metadata()
        except grpc.RpcError:
            return False
        return True

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
        pooled = LoopBoundHttp(settings)
        actors = ActorHttp(pooled, settings.actor_call_timeout_seconds)
        yield Sidecar(settings, dapr, http, pooled, actors, ActorRuntimeHttp(pooled))


class ActorHttp:
    """Actor method calls over the sidecar's HTTP API with pooled, loop-bound clients (the
    SDK's proxy opens a connection per call), carrying the trace context and the API token."""

    def __init__(self, http: "LoopBoundHttp", timeout_seconds: float) -> None:
        self._http = http
        self._timeout = timeout_seconds

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any:
        url = f"{_actor_path(actor_type, actor_id)}/method/{method}"
        body = json.dumps(request).encode() if request is not None else None
        response = await self._http().put(url, content=body, timeout=self._timeout)
        response.raise_for_status()
        return response.json() if response.content else None


class ActorRuntimeHttp(DaprActorClientBase):
    """What the actor runtime asks of the sidecar (state, reminders, timers, calls), over the
    same pooled clients. The SDK's default opens a new connection for every state read and
    save, which cost a warm actor turn more than the turn itself."""

    def __init__(self, http: "LoopBoundHttp") -> None:
        self._http = http

    async def invoke_method(
        self, actor_type: str, actor_id: str, method: str, data: bytes | None = None
    ) -> bytes:
        reentrancy_id = reentrancy_ctx.get()
        headers = {DAPR_REENTRANCY_ID_HEADER: reentrancy_id} if reentrancy_id else {}
        path = f"{_actor_path(actor_type, actor_id)}/method/{method}"
        return await self._send("POST", path, data, headers)

    async def save_state_transactionally(self, actor_type: str, actor_id: str, data: bytes) -> None:
        await self._send("PUT", f"{_actor_path(actor_type, actor_id)}/state", data)

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        """The raw value; empty when the key holds nothing (the sidecar answers 204)."""
        path = f"{_actor_path(actor_type, actor_id)}/state/{quote(name, safe='')}"
        return await self._send("GET", path)

    async def register_reminder(
        self, actor_type: str, actor_id: str, name: str, data: bytes
    ) -> None:
        await self._send("PUT", f"{_actor_path(actor_type, actor_id)}/reminders/{name}", data)

    async def unregister_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._send("DELETE", f"{_actor_path(actor_type, actor_id)}/reminders/{name}")

    async def register_timer(self, actor_type: str, actor_id: str, name: str, data: bytes) -> None:
        await self._send("PUT", f"{_actor_path(actor_type, actor_id)}/timers/{name}", data)

    async def unregister_timer(self, actor_type: str, actor_id: str, name: str) -> None:
        await self._send("DELETE", f"{_actor_path(actor_type, actor_id)}/timers/{name}")

    async def _send(
        self, verb: str, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> bytes:
        response = await self._http().request(verb, path, content=data, headers=headers)
        response.raise_for_status()
        return response.content


def _actor_path(actor_type: str, actor_id: str) -> str:
    return f"/v1.0/actors/{actor_type}/{quote(actor_id, safe='')}"


class LoopBoundHttp:
    """The sidecar's HTTP API from any event loop: the workflow worker runs activities on its
    own loop, and an httpx client belongs to one loop, so each loop gets its own."""

    def __init__(self, settings: SidecarSettings) -> None:
        self._settings = settings
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def __call__(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(
                base_url=self._settings.http_url,
                headers=_token_header(self._settings),
                timeout=30.0,
            )
            self._clients[loop] = client
        return client
