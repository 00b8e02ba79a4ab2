"""The `orders` app: the composition root. Run with `python -m app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from dapr.actor import ActorId
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.aio.clients import DaprClient
from dapr.ext.fastapi import DaprActor, DaprApp
from dapr.ext.workflow import WorkflowRuntime
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from actors.clients import InventoryClient, OrderClient
from actors.inventory import Inventory
from actors.order import KeepSaga, Order
from actors.serializer import PlainJson
from app import health
from app.api import auth, catalog, internal, orders, users
from app.api.deps import general_rate_limit
from app.auth.revocations import Revocations
from app.auth.service import Authenticator
from app.auth.tokens import TokenSigner
from app.auth.users import UserStore
from app.checkout import keep_saga
from app.console import install_console
from app.events import EventPublisher
from app.observability import metrics
from app.observability.logs import configure_logging, sdk_logger_options
from app.observability.requests import RequestContextMiddleware
from app.observability.tracing import configure_tracing, instrument, shutdown_tracing
from app.perimeter.app_token import AppTokenMiddleware, is_sidecar_path
from app.perimeter.edge import EdgeMiddleware
from app.perimeter.idempotency import IdempotencyMiddleware, IdempotencyStore
from app.perimeter.rate_limits import RateLimits
from app.problems import documented_problems, install_problem_handlers
from app.read_models import ReadModels
from app.services import Services
from app.settings import (
    AppSettings,
    AuthSettings,
    ComponentNames,
    PerimeterSettings,
    SidecarSettings,
)
from app.sidecar import ActorRuntimeHttp, Sidecar, connect
from app.subscriptions import install_subscriptions
from app.workflow_worker import WorkflowWorker
from workflows.activities import CheckoutDependencies, checkout_activities
from workflows.checkout import checkout

API_PREFIX = "/api/v1"
# POSTs that sign in or out are not replayed: each must be judged afresh.
NOT_IDEMPOTENT = tuple(f"{API_PREFIX}/auth/{name}" for name in ("token", "refresh", "logout"))


def create_app(
    sidecar_settings: SidecarSettings | None = None,
    components: ComponentNames | None = None,
    settings: AppSettings | None = None,
    auth_settings: AuthSettings | None = None,
    perimeter: PerimeterSettings | None = None,
) -> FastAPI:
    sidecar_settings = sidecar_settings or SidecarSettings()
    components = components or ComponentNames()
    settings = settings or AppSettings()
    auth_settings = auth_settings or AuthSettings()
    perimeter = perimeter or PerimeterSettings()
    configure_logging("orders")
    configure_tracing("orders")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with connect(sidecar_settings) as sidecar:
            events = EventPublisher(sidecar.dapr, components.pubsub)
            workflows = DaprWorkflowClient(
                sidecar_settings.host, str(sidecar_settings.grpc_port), sdk_logger_options()
            )
            keeper = partial(keep_saga, workflows)
            saga_watch = timedelta(seconds=settings.saga_watch_seconds)
            await _register_actors(actor_host, events, sidecar.actor_runtime, keeper, saga_watch)
            worker = WorkflowWorker(_workflow_runtime(sidecar, components))
            services = Services(
                settings=settings,
                sidecar=sidecar,
                inventory=InventoryClient(sidecar.actors),
                orders=OrderClient(sidecar.actors),
                read_models=ReadModels(sidecar.dapr, components.statestore),
                workflows=workflows,
                workflow_worker=worker,
                auth=await _authenticator(sidecar.dapr, components, auth_settings),
                rate_limits=RateLimits(perimeter),
                idempotency=IdempotencyStore(
                    sidecar.dapr, components.statestore, perimeter.idempotency_key_seconds
                ),
            )
            app.state.services = services
            worker.start()
            try:
                yield
            finally:
                # The SDK's async workflow client has no close (1.18.3): its channel ends with
                # the process.
                await worker.stop()
                shutdown_tracing()

    app = FastAPI(title="orders", version="0.1.0", lifespan=lifespan)
    actor_host = DaprActor(app)
    dapr_app = DaprApp(app)
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    api = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(general_rate_limit)],
        responses=documented_problems(400, 401, 403, 404, 409, 413, 422, 429),
    )
    for router in (auth.router, users.router, catalog.router, orders.router):
        api.include_router(router)
    app.include_router(api)
    app.include_router(internal.router)
    install_subscriptions(dapr_app, components)
    install_console(app)
    _hide_sidecar_routes(app)
    _install_perimeter(app, perimeter)
    app.add_middleware(RequestContextMiddleware)
    instrument(app)
    return app


def _install_perimeter(app: FastAPI, perimeter: PerimeterSettings) -> None:
    """add_middleware wraps what is there, so these go innermost first; a request meets them
    as body cap and security headers, CORS, the sidecar's token, then idempotent replays."""
    app.add_middleware(IdempotencyMiddleware, prefix=API_PREFIX, excluded=NOT_IDEMPOTENT)
    token = perimeter.app_api_token
    app.add_middleware(AppTokenMiddleware, token=token.get_secret_value() if token else None)
    if perimeter.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=perimeter.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed"],
        )
    app.add_middleware(EdgeMiddleware, max_body_bytes=perimeter.max_body_bytes)


def _hide_sidecar_routes(app: FastAPI) -> None:
    """The public OpenAPI document describes the public API, not the sidecar's callbacks
    (the SDK's actor and subscription routers add theirs to the schema)."""
    full_schema = app.openapi

    def public_schema() -> dict[str, Any]:
        schema = full_schema()
        schema["paths"] = {p: v for p, v in schema["paths"].items() if not is_sidecar_path(p)}
        return schema

    app.openapi = public_schema  # type: ignore[method-assign]


async def _authenticator(
    dapr: DaprClient, components: ComponentNames, settings: AuthSettings
) -> Authenticator:
    """Reads the signing key and the bootstrap administrator from the secret store."""

    async def secret(name: str) -> str:
        return (await dapr.get_secret(components.secretstore, name)).secret[name]

    signer = TokenSigner(await secret(settings.signing_key_secret), settings)
    revocations = Revocations(dapr, components.statestore, settings.refresh_token_seconds)
    auth = Authenticator(UserStore(dapr, components.statestore), revocations, signer)
    admin_email = await secret(settings.admin_email_secret)
    await auth.ensure_admin(admin_email, await secret(settings.admin_password_secret))
    return auth


async def _register_actors(
    actor_host: DaprActor,
    events: EventPublisher,
    sidecar: ActorRuntimeHttp,
    keep_saga: KeepSaga,
    saga_watch: timedelta,
) -> None:
    def inventory(ctx: ActorRuntimeContext, actor_id: ActorId) -> Inventory:
        return Inventory(ctx, actor_id, events)

    def order(ctx: ActorRuntimeContext, actor_id: ActorId) -> Order:
        return Order(ctx, actor_id, events, keep_saga, saga_watch)

    options = {
        "message_serializer": PlainJson(),
        "state_serializer": PlainJson(),
        "actor_client": sidecar,
    }
    await actor_host.register_actor(Inventory, actor_factory=inventory, **options)
    await actor_host.register_actor(Order, actor_factory=order, **options)


def _workflow_runtime(sidecar: Sidecar, components: ComponentNames) -> WorkflowRuntime:
    runtime = WorkflowRuntime(
        sidecar.settings.host, str(sidecar.settings.grpc_port), logger_options=sdk_logger_options()
    )
    runtime.register_workflow(checkout)
    dependencies = CheckoutDependencies(
        inventory=InventoryClient(sidecar.actors),
        orders=OrderClient(sidecar.actors),
        sidecar_http=sidecar.pooled,
        payments_app_id=components.payments_app_id,
        notifications_binding=components.notifications,
    )
    for activity in checkout_activities(dependencies):
        runtime.register_activity(activity)
    return runtime
