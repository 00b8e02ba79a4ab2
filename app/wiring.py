"""Builds what `orders` shares once, from its sidecar: the state store, the actors (hosted
here and called from here), the workflow worker and client, and authentication."""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial

import httpx
from dapr.actor import ActorId
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.aio.clients import DaprClient
from dapr.ext.fastapi import DaprActor
from dapr.ext.workflow import WorkflowRuntime
from dapr.ext.workflow.aio import DaprWorkflowClient

from actors.clients import InventoryClient, OrderClient
from actors.inventory import Inventory
from actors.order import KeepSaga, Order
from actors.serializer import PlainJson
from app.auth.revocations import Revocations
from app.auth.service import Authenticator
from app.auth.tokens import TokenSigner
from app.auth.users import UserStore
from app.checkout import keep_saga
from app.digest import schedule_digest
from app.flag_sources import follow_flags
from app.flags import Flags
from app.health import SidecarReadiness
from app.images import ItemImages
from app.perimeter.idempotency import IdempotencyStore
from app.perimeter.rate_limits import RateLimits
from app.read_models import ReadModels
from app.services import Services
from app.settings import OrdersSettings
from app.workflow_worker import WorkflowWorker
from common.bindings import NamedDocuments
from common.blobs import BindingBlobs
from common.caller import CallerKey
from common.events import DaprPublisher, Publisher
from common.observability.logs import sdk_logger_options
from common.sidecar import ActorRuntimeHttp, Sidecar, connect
from common.state import DaprDocuments
from workflows.activities import CHECKOUT_ACTIVITIES, CheckoutDependencies
from workflows.checkout import checkout
from workflows.payments import InvokedPayments

log = logging.getLogger(__name__)


@asynccontextmanager
async def sidecar_services(
    settings: OrdersSettings, actor_host: DaprActor
) -> AsyncIterator[Services]:
    names = settings.components
    async with connect(settings.sidecar) as sidecar:
        secrets = Secrets(sidecar.dapr, names.secretstore)
        store = DaprDocuments(sidecar.dapr, names.statestore)
        sagas = DaprWorkflowClient(
            settings.sidecar.host, str(settings.sidecar.grpc_port), sdk_logger_options()
        )
        watch = timedelta(seconds=settings.service.saga_watch_seconds)
        publisher = DaprPublisher(sidecar.dapr, names.pubsub)
        await register_actors(
            actor_host, publisher, sidecar.actor_runtime, partial(keep_saga, sagas), watch
        )
        caller_key = CallerKey(
            await secrets.read(settings.auth.caller_key_secret), names.orders_app_id
        )
        worker = WorkflowWorker(workflow_runtime(sidecar, settings, caller_key))
        inventory = InventoryClient(sidecar.actors)
        services = Services(
            settings=settings.service,
            readiness=SidecarReadiness(sidecar, worker),
            inventory=inventory,
            orders=OrderClient(sidecar.actors),
            sagas=sagas,
            read_models=ReadModels(store),
            auth=await authenticator(store, secrets, settings),
            rate_limits=RateLimits(settings.perimeter, store),
            idempotency=IdempotencyStore(store, settings.perimeter.idempotency_key_seconds),
            notifications=NamedDocuments(sidecar.pooled, names.notifications),
            flags=Flags(),
            images=ItemImages(inventory, BindingBlobs(sidecar.dapr, names.images)),
        )
        worker.start()
        following = asyncio.create_task(
            follow_flags(sidecar, names, settings.flags, services.flags), name="flags"
        )
        following.add_done_callback(_report_end)
        scheduling = asyncio.create_task(
            keep_trying(
                partial(schedule_digest, sidecar.http, settings.service.low_stock_digest_schedule)
            )
        )
        try:
            yield services
        finally:
            scheduling.cancel()
            following.cancel()
            # The SDK's async workflow client has no close (1.18.3): its channel ends with
            # the process.
            await worker.stop()


async def keep_trying(step: Callable[[], Awaitable[None]], pause: float = 5.0) -> None:
    """Until it succeeds: start-up goes on while, say, the scheduler is not reachable yet."""
    while True:
        try:
            await step()
            return
        except (httpx.HTTPError, OSError) as error:
            log.warning("scheduling the low-stock digest failed; trying again: %s", error)
            await asyncio.sleep(pause)


def _report_end(task: "asyncio.Task[None]") -> None:
    """A background task that should run for the app's life ended: say so, with its error."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s stopped: %r", task.get_name(), error, exc_info=error)


class Secrets:
    def __init__(self, dapr: DaprClient, store: str) -> None:
        self._dapr, self._store = dapr, store

    async def read(self, name: str) -> str:
        return (await self._dapr.get_secret(self._store, name)).secret[name]


async def authenticator(
    store: DaprDocuments, secrets: Secrets, settings: OrdersSettings
) -> Authenticator:
    """Reads the signing key and the bootstrap administrator from the secret store."""
    auth_settings = settings.auth
    signer = TokenSigner(await secrets.read(auth_settings.signing_key_secret), auth_settings)
    revocations = Revocations(
        store, auth_settings.refresh_token_seconds, auth_settings.revocation_cache_seconds
    )
    auth = Authenticator(UserStore(store), revocations, signer)
    admin_email = await secrets.read(auth_settings.admin_email_secret)
    await auth.ensure_admin(admin_email, await secrets.read(auth_settings.admin_password_secret))
    return auth


async def register_actors(
    actor_host: DaprActor,
    events: Publisher,
    sidecar: ActorRuntimeHttp,
    keep: KeepSaga,
    saga_watch: timedelta,
) -> None:
    def inventory(ctx: ActorRuntimeContext, actor_id: ActorId) -> Inventory:
        return Inventory(ctx, actor_id, events)

    def order(ctx: ActorRuntimeContext, actor_id: ActorId) -> Order:
        return Order(ctx, actor_id, events, keep, saga_watch)

    options = {
        "message_serializer": PlainJson(),
        "state_serializer": PlainJson(),
        "actor_client": sidecar,
    }
    await actor_host.register_actor(Inventory, actor_factory=inventory, **options)
    await actor_host.register_actor(Order, actor_factory=order, **options)


def workflow_runtime(
    sidecar: Sidecar, settings: OrdersSettings, caller_key: CallerKey
) -> WorkflowRuntime:
    runtime = WorkflowRuntime(
        sidecar.settings.host, str(sidecar.settings.grpc_port), logger_options=sdk_logger_options()
    )
    runtime.register_workflow(checkout)
    names = settings.components
    dependencies = CheckoutDependencies(
        inventory=InventoryClient(sidecar.actors),
        orders=OrderClient(sidecar.actors),
        payments=InvokedPayments(sidecar.pooled, names.payments_app_id, caller_key),
    )
    for activity in CHECKOUT_ACTIVITIES:
        runtime.register_activity(activity.bind(dependencies), name=activity.__name__)
    return runtime
