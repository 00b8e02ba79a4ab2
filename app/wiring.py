"""Builds what `orders` shares once, from its sidecar: the state store, the actors (hosted
here and called from here), the workflow worker and client, and authentication; then each
tenant's services over them (app/services.py) and each tenant's administrator."""

import asyncio
import json
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

from actors import turns
from actors.clients import InventoryActors, InventoryClient, OrderActors, OrderClient
from actors.inventory import Inventory
from actors.order import KeepSaga, Order
from actors.serializer import PlainJson
from app.auth.tokens import TokenSigner
from app.checkout import BoundedSagaWatch
from app.digest import schedule_digest
from app.flag_sources import follow_flags
from app.flags import Flags
from app.health import SidecarReadiness
from app.services import Shared, tenant_services
from app.settings import OrdersSettings
from app.tenancy import Tenants
from app.workflow_worker import WorkflowWorker
from common.bindings import NamedDocuments
from common.blobs import BindingBlobs
from common.caller import CallerKey
from common.events import DaprPublisher, Publisher
from common.observability.logs import sdk_logger_options
from common.sidecar import ActorRuntimeSidecar, Sidecar, connect
from common.state import DaprDocuments
from common.tenancy import DEFAULT_TENANT, ActorInvoker, ScopedActors
from workflows.activities import CHECKOUT_ACTIVITIES, CheckoutDependencies
from workflows.checkout import checkout
from workflows.payments import InvokedPayments

log = logging.getLogger(__name__)


@asynccontextmanager
async def sidecar_services(
    settings: OrdersSettings, actor_host: DaprActor
) -> AsyncIterator[Tenants]:
    names = settings.components
    async with connect(settings.sidecar) as sidecar:
        secrets = Secrets(sidecar.dapr, names.secretstore)
        store = DaprDocuments(sidecar.dapr, names.statestore)
        sagas = DaprWorkflowClient(
            settings.sidecar.host, str(settings.sidecar.grpc_port), sdk_logger_options()
        )
        watch = timedelta(seconds=settings.service.saga_watch_seconds)
        stall = timedelta(seconds=settings.service.saga_stall_seconds)
        publisher = DaprPublisher(sidecar.dapr, names.pubsub)
        keep = BoundedSagaWatch(sagas, stall, settings.service.saga_checks_at_once)
        turns.callers_wait(settings.sidecar.actor_call_timeout_seconds)
        await register_actors(actor_host, publisher, sidecar.actor_runtime, keep, watch)
        caller_key = CallerKey(
            await secrets.read(settings.auth.caller_key_secret), names.orders_app_id
        )
        worker = WorkflowWorker(workflow_runtime(sidecar, settings, caller_key))
        shared = Shared(
            settings=settings,
            readiness=SidecarReadiness(sidecar, worker),
            store=store,
            actors=partial(tenant_actors, sidecar.actors),
            sagas=sagas,
            notifications=NamedDocuments(sidecar.pooled, names.notifications),
            flags=Flags(),
            blobs=BindingBlobs(sidecar.dapr, names.images),
            signer=TokenSigner(await secrets.read(settings.auth.signing_key_secret), settings.auth),
        )
        tenants = {
            tenant: tenant_services(shared, tenant) for tenant in settings.tenancy.all_tenants
        }
        for tenant, admin in (await administrators(secrets, settings)).items():
            await tenants[tenant].auth.ensure_admin(*admin)
        worker.start()
        following = asyncio.create_task(
            follow_flags(sidecar, names, settings.flags, shared.flags), name="flags"
        )
        following.add_done_callback(_report_end)
        scheduling = asyncio.create_task(
            keep_trying(
                partial(schedule_digest, sidecar.http, settings.service.low_stock_digest_schedule)
            )
        )
        try:
            yield tenants
        finally:
            scheduling.cancel()
            following.cancel()
            # The SDK's async workflow client has no close (1.18.3): its channel ends with
            # the process.
            await worker.stop()


def tenant_actors(invoker: ActorInvoker, tenant: str) -> tuple[InventoryActors, OrderActors]:
    """One tenant's Inventory and Order actors (common/tenancy.py scopes their ids)."""
    actors = ScopedActors(invoker, tenant)
    return InventoryClient(actors), OrderClient(actors)


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


async def administrators(secrets: Secrets, settings: OrdersSettings) -> dict[str, tuple[str, str]]:
    """Each tenant's bootstrap administrator, by tenant: the default tenant's from
    `admin-email` and `admin-password`; every other tenant's from the JSON object in
    `tenant-admins` ({"<tenant>": {"email": ..., "password": ...}}), read only when there are
    other tenants. A tenant without one stops the start with a line naming the fix."""
    auth = settings.auth
    admins = {
        DEFAULT_TENANT: (
            await secrets.read(auth.admin_email_secret),
            await secrets.read(auth.admin_password_secret),
        )
    }
    others = [tenant for tenant in settings.tenancy.all_tenants if tenant != DEFAULT_TENANT]
    if not others:
        return admins
    name = settings.tenancy.admins_secret
    try:
        listed = json.loads(await secrets.read(name))
        for tenant in others:
            admins[tenant] = (str(listed[tenant]["email"]), str(listed[tenant]["password"]))
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError(
            f'the secret {name!r} must hold {{"<tenant>": {{"email": ..., "password": ...}}}}'
            f" for each of {others}; missing or malformed: {error}"
        ) from error
    return admins


async def register_actors(
    actor_host: DaprActor,
    events: Publisher,
    sidecar: ActorRuntimeSidecar,
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
