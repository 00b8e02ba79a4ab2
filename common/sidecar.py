"""The one connection to this app's Dapr sidecar, built once in the lifespan and shared.

Actor calls and actor state go over the sidecar's gRPC API: measured under load, an httpx call
to the sidecar cost the app about 1 ms of CPU and a grpc.aio call a quarter of that, and a
checkout makes a dozen of them (bench/results/embedded-profiles.md).
"""

import asyncio
import json
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import grpc
import httpx
from dapr.actor.runtime.reentrancy_context import reentrancy_ctx
from dapr.aio.clients import DaprClient
from dapr.clients.base import DAPR_REENTRANCY_ID_HEADER, DaprActorClientBase
from dapr.proto.runtime.v1.actors_pb2 import (
    ExecuteActorStateTransactionRequest,
    GetActorStateRequest,
    InvokeActorRequest,
    TransactionalActorStateOperation,
)
from dapr.proto.runtime.v1.dapr_pb2_grpc import DaprStub
from google.protobuf.any_pb2 import Any as AnyValue

from common.observability.tracing import plain_grpc_channel, trace_context
from common.settings import SidecarSettings

API_TOKEN_HEADER = "dapr-api-token"
# A call to the sidecar not answered in this long failed (a state read or save, a binding, an
# invocation); actor method calls wait ACTOR_CALL_TIMEOUT_SECONDS instead.
SIDECAR_CALL_TIMEOUT_SECONDS = 30.0
T = TypeVar("T")


@dataclass(frozen=True)
class Sidecar:
    """The SDK's gRPC client for building blocks, plus the sidecar's HTTP API for what the SDK
    does not cover well (service invocation, health, metadata)."""

    settings: SidecarSettings
    dapr: DaprClient
    http: httpx.AsyncClient
    # Pooled HTTP clients for any event loop, for the saga's call to payments and bindings.
    pooled: "LoopBoundHttp"
    # Our calls to actors, and what the SDK's actor runtime asks of the sidecar for the actors
    # this app hosts, over gRPC channels for any event loop.
    actors: "ActorCalls"
    actor_runtime: "ActorRuntimeSidecar"

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
        httpx.AsyncClient(
            base_url=settings.http_url, headers=headers, timeout=SIDECAR_CALL_TIMEOUT_SECONDS
        ) as http,
    ):
        pooled = LoopBoundHttp(settings)
        channels = LoopBoundGrpc(settings)
        actors = ActorCalls(channels, settings.actor_call_timeout_seconds)
        try:
            yield Sidecar(
                settings, dapr, http, pooled, actors, ActorRuntimeSidecar(pooled, channels)
            )
        finally:
            await channels.close()


class ActorCalls:
    """Actor method calls through the sidecar's gRPC API, carrying the trace context and the
    API token. A failed call raises grpc.RpcError: the actor's own error (daprd's INTERNAL), a
    timeout (DEADLINE_EXCEEDED) or no sidecar (UNAVAILABLE)."""

    def __init__(self, channels: "LoopBoundGrpc", timeout_seconds: float) -> None:
        self._channels = channels
        self._timeout = timeout_seconds

    async def invoke(self, actor_type: str, actor_id: str, method: str, request: Any) -> Any:
        call = InvokeActorRequest(
            actor_type=actor_type,
            actor_id=actor_id,
            method=method,
            data=json.dumps(request).encode() if request is not None else b"",
        )
        response = await self._channels().InvokeActor(
            call, timeout=self._timeout, metadata=self._channels.metadata()
        )
        return json.loads(response.data) if response.data else None


class ActorRuntimeSidecar(DaprActorClientBase):
    """What the actor runtime asks of the sidecar for the actors this app hosts: their state
    over gRPC (read on activation, saved once a turn), reminders, timers and calls over the
    pooled HTTP clients (the SDK's default opens a new connection for each)."""

    def __init__(self, http: "LoopBoundHttp", channels: "LoopBoundGrpc") -> None:
        self._http = http
        self._channels = channels

    async def invoke_method(
        self, actor_type: str, actor_id: str, method: str, data: bytes | None = None
    ) -> bytes:
        reentrancy_id = reentrancy_ctx.get()
        headers = {DAPR_REENTRANCY_ID_HEADER: reentrancy_id} if reentrancy_id else {}
        path = f"{_actor_path(actor_type, actor_id)}/method/{method}"
        return await self._send("POST", path, data, headers)

    async def save_state_transactionally(self, actor_type: str, actor_id: str, data: bytes) -> None:
        """The SDK's state manager's transaction (JSON); the actors here save with `save_states`."""
        await self._send("PUT", f"{_actor_path(actor_type, actor_id)}/state", data)

    async def save_states(
        self, actor_type: str, actor_id: str, values: Mapping[str, bytes]
    ) -> None:
        """Each name set to its raw value, in one state transaction."""
        operations = [
            TransactionalActorStateOperation(
                operationType="upsert", key=name, value=AnyValue(value=value)
            )
            for name, value in values.items()
        ]
        transaction = ExecuteActorStateTransactionRequest(
            actor_type=actor_type, actor_id=actor_id, operations=operations
        )
        await self._channels().ExecuteActorStateTransaction(
            transaction, timeout=SIDECAR_CALL_TIMEOUT_SECONDS, metadata=self._channels.metadata()
        )

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        """The raw value; empty when the key holds nothing."""
        request = GetActorStateRequest(actor_type=actor_type, actor_id=actor_id, key=name)
        response = await self._channels().GetActorState(
            request, timeout=SIDECAR_CALL_TIMEOUT_SECONDS, metadata=self._channels.metadata()
        )
        data: bytes = response.data
        return data

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


class _PerLoop(Generic[T]):
    """One T for each event loop, made there on first use: the workflow worker runs activities
    on a loop of its own, and an httpx client or a grpc.aio channel belongs to one loop."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._made: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T]
        self._made = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        made = self._made.get(loop)
        if made is None:
            made = self._made[loop] = self._make()
        return made

    def pop(self) -> T | None:
        """The running loop's T, forgotten here."""
        return self._made.pop(asyncio.get_running_loop(), None)


class LoopBoundHttp:
    """The sidecar's HTTP API from any event loop, with pooled connections."""

    def __init__(self, settings: SidecarSettings) -> None:
        self._clients = _PerLoop(
            lambda: httpx.AsyncClient(
                base_url=settings.http_url,
                headers=_token_header(settings),
                timeout=SIDECAR_CALL_TIMEOUT_SECONDS,
            )
        )

    def __call__(self) -> httpx.AsyncClient:
        return self._clients.get()


# gRPC waits longer and longer between reconnections (up to 2 minutes by default) and fails
# calls meanwhile; the sidecar is on loopback and back within seconds after a restart.
_RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]


class LoopBoundGrpc:
    """The sidecar's gRPC API from any event loop; each call's `metadata()` carries the API
    token and the trace context."""

    def __init__(self, settings: SidecarSettings) -> None:
        self._token = tuple(_token_header(settings).items())

        def open_channel() -> tuple[grpc.aio.Channel, DaprStub]:
            channel = plain_grpc_channel(settings.grpc_address, options=_RECONNECT_OPTIONS)
            return channel, DaprStub(channel)  # type: ignore[no-untyped-call]

        self._channels = _PerLoop(open_channel)

    def __call__(self) -> DaprStub:
        return self._channels.get()[1]

    def metadata(self) -> tuple[tuple[str, str], ...]:
        return self._token + trace_context()

    async def close(self) -> None:
        """Closes the running loop's channel; the others end with their loops."""
        opened = self._channels.pop()
        if opened is not None:
            await opened[0].close()
