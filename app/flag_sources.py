"""Where the feature flags come from, always through the sidecar; one source per sidecar.

- The configuration store `configstore` (Configuration API), where the profile has one (redis,
  postgres): a subscription first, then one read of every flag, then each change as the store
  announces it. A full read every FLAGS_RESYNC_SECONDS catches a change whose notification was
  lost; a broken stream (sidecar restarted) is opened again.
- Without one (embedded: Dapr has no configuration store that runs without a server): the
  same keys prefixed `flags.` in the state store, read every FLAGS_POLL_SECONDS.

The SDK's async `subscribe_configuration` (1.18.3) never subscribes: it iterates the async
stream synchronously on a thread, and its API-token interceptor skips streams from a unary
call. So the stream is opened here with the SDK's generated stub and the token; reads go
through the SDK's client.
"""

import asyncio
import json
from collections.abc import Sequence
from typing import Protocol

import grpc
import httpx
import structlog
from dapr.clients.grpc._response import BulkStatesResponse
from dapr.proto.runtime.v1.configuration_pb2 import (
    SubscribeConfigurationRequest,
    SubscribeConfigurationResponse,
)

from app.flags import FLAG_KEYS, Flags, Log
from app.settings import FlagSettings
from common.settings import ComponentNames
from common.sidecar import API_TOKEN_HEADER, Sidecar

log: Log = structlog.get_logger(__name__)
STATE_PREFIX = "flags."
SUBSCRIBE = "/dapr.proto.runtime.v1.Dapr/SubscribeConfiguration"
Subscribe = grpc.aio.UnaryStreamMultiCallable[
    SubscribeConfigurationRequest, SubscribeConfigurationResponse
]


async def follow_flags(
    sidecar: Sidecar, names: ComponentNames, settings: FlagSettings, flags: Flags
) -> None:
    """Runs for the app's life: picks the source from the sidecar's components, then keeps
    `flags` current."""
    outage = Outage("asking the sidecar for its components")
    while True:
        try:
            components = (await sidecar.metadata()).get("components", [])
            break
        except (httpx.HTTPError, ValueError) as error:
            outage.failed(error)
            await asyncio.sleep(settings.retry_seconds)
    kinds = {c.get("name"): str(c.get("type", "")) for c in components}
    if kinds.get(names.configstore, "").startswith("configuration."):
        log.info("flags follow the configuration store", store=names.configstore)
        await ConfigurationStore(sidecar, names.configstore, settings).follow(flags)
    else:
        log.info(
            "no configuration store on this sidecar: flags are read from the state store",
            missing=names.configstore,
            store=names.statestore,
            key_prefix=STATE_PREFIX,
            every_seconds=settings.poll_seconds,
        )
        await StatePolling(sidecar.dapr, names.statestore, settings.poll_seconds).follow(flags)


class Outage:
    """One warning when reading starts to fail, one line when it works again."""

    def __init__(self, what: str, log: Log = log) -> None:
        self._what, self._log, self._down = what, log, False

    def failed(self, error: BaseException) -> None:
        if not self._down:
            self._down = True
            self._log.warning(
                f"{self._what} failed; flags keep their last values", error=_describe(error)
            )

    def ok(self) -> None:
        if self._down:
            self._down = False
            self._log.info(f"{self._what} works again")


class ConfigurationStore:
    def __init__(self, sidecar: Sidecar, store: str, settings: FlagSettings) -> None:
        self._sidecar, self._store, self._settings = sidecar, store, settings
        token = sidecar.settings.api_token
        self._metadata = ((API_TOKEN_HEADER, token.get_secret_value()),) if token else ()

    async def follow(self, flags: Flags) -> None:
        outage = Outage(f"following the configuration store {self._store!r}")
        resync = asyncio.create_task(self._resync(flags))
        try:
            while True:
                try:
                    await self._subscribe(flags, outage)
                except grpc.RpcError as error:
                    outage.failed(error)
                await asyncio.sleep(self._settings.retry_seconds)
        finally:
            resync.cancel()

    async def read(self) -> dict[str, str]:
        response = await self._sidecar.dapr.get_configuration(self._store, list(FLAG_KEYS))
        found = {key: item.value for key, item in response.items.items()}
        return {key: found.get(key, "") for key in FLAG_KEYS}

    async def _subscribe(self, flags: Flags, outage: Outage) -> None:
        """Until the stream ends. daprd answers the subscription's id once it stands, so a
        read after it misses no change. A channel per subscription: one that lost its sidecar
        would wait out gRPC's reconnect backoff, which grows to minutes."""
        request = SubscribeConfigurationRequest(store_name=self._store, keys=list(FLAG_KEYS))
        async with grpc.aio.insecure_channel(self._sidecar.settings.grpc_address) as channel:
            subscribe: Subscribe = channel.unary_stream(
                SUBSCRIBE,
                request_serializer=SubscribeConfigurationRequest.SerializeToString,
                response_deserializer=SubscribeConfigurationResponse.FromString,
            )
            stream = subscribe(request, metadata=self._metadata)
            if not isinstance(await stream.read(), SubscribeConfigurationResponse):
                return  # the stream ended before it stood
            flags.apply(await self.read())
            outage.ok()
            while isinstance(update := await stream.read(), SubscribeConfigurationResponse):
                flags.apply({key: item.value for key, item in update.items.items()})

    async def _resync(self, flags: Flags) -> None:
        while True:
            await asyncio.sleep(self._settings.resync_seconds)
            try:
                flags.apply(await self.read())
            except grpc.RpcError:
                pass  # the subscription's loop reports the outage


class BulkState(Protocol):
    """The part of the SDK's client the polling reads with."""

    async def get_bulk_state(self, store_name: str, keys: Sequence[str]) -> BulkStatesResponse: ...


class StatePolling:
    def __init__(self, dapr: BulkState, store: str, every_seconds: float) -> None:
        self._dapr, self._store, self._every = dapr, store, every_seconds

    async def follow(self, flags: Flags) -> None:
        outage = Outage(f"reading flags from the state store {self._store!r}")
        while True:
            await self.poll(flags, outage)
            await asyncio.sleep(self._every)

    async def poll(self, flags: Flags, outage: Outage) -> None:
        try:
            flags.apply(await self.read())
        except grpc.RpcError as error:
            outage.failed(error)
        else:
            outage.ok()

    async def read(self) -> dict[str, str]:
        keys = [STATE_PREFIX + key for key in FLAG_KEYS]
        response = await self._dapr.get_bulk_state(self._store, keys)
        found = {
            item.key.removeprefix(STATE_PREFIX): state_text(item.data) for item in response.items
        }
        return {key: found.get(key, "") for key in FLAG_KEYS}


def _describe(error: BaseException) -> str:
    if isinstance(error, grpc.aio.AioRpcError):
        return f"{error.code().name}: {error.details()}"
    return repr(error)


def state_text(data: bytes | str) -> str:
    """A state value as the text a configuration store would hold: the state API keeps JSON,
    so `3`, `"3"`, `true` and `"true"` all mean what they say."""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    try:
        value = json.loads(text) if text else ""
    except ValueError:
        return text
    return value if isinstance(value, str) else json.dumps(value)
