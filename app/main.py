"""The `orders` app: the composition root. Run with `python -m app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dapr.actor import ActorId
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.ext.fastapi import DaprActor, DaprApp
from dapr.ext.workflow import WorkflowRuntime
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import APIRouter, FastAPI

from actors.clients import InventoryClient, OrderClient
from actors.inventory import Inventory
from actors.order import Order
from actors.serializer import PlainJson
from app import health
from app.api import catalog, internal, orders
from app.events import EventPublisher
from app.problems import install_problem_handlers
from app.read_models import ReadModels
from app.services import Services
from app.settings import AppSettings, ComponentNames, SidecarSettings
from app.sidecar import LoopBoundHttp, Sidecar, connect
from app.subscriptions import install_subscriptions
from app.workflow_worker import WorkflowWorker
from workflows.activities import CheckoutDependencies, checkout_activities
from workflows.checkout import checkout

API_PREFIX = "/api/v1"


def create_app(
    sidecar_settings: SidecarSettings | None = None,
    components: ComponentNames | None = None,
    settings: AppSettings | None = None,
) -> FastAPI:
    sidecar_settings = sidecar_settings or SidecarSettings()
    components = components or ComponentNames()
    settings = settings or AppSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with connect(sidecar_settings) as sidecar:
            events = EventPublisher(sidecar.dapr, components.pubsub)
            await _register_actors(actor_host, events)
            worker = WorkflowWorker(_workflow_runtime(sidecar, components))
            services = Services(
                settings=settings,
                sidecar=sidecar,
                inventory=InventoryClient(sidecar.actors),
                orders=OrderClient(sidecar.actors),
                read_models=ReadModels(sidecar.dapr, components.statestore),
                workflows=DaprWorkflowClient(
                    sidecar_settings.host, str(sidecar_settings.grpc_port)
                ),
                workflow_worker=worker,
            )
            app.state.services = services
            worker.start()
            try:
                yield
            finally:
                # The SDK's async workflow client has no close (1.18.3): its channel ends with
                # the process.
                await worker.stop()

    app = FastAPI(title="orders", version="0.1.0", lifespan=lifespan)
    actor_host = DaprActor(app)
    dapr_app = DaprApp(app)
    install_problem_handlers(app)
    app.include_router(health.router)
    api = APIRouter(prefix=API_PREFIX)
    api.include_router(catalog.router)
    api.include_router(orders.router)
    app.include_router(api)
    app.include_router(internal.router)
    install_subscriptions(dapr_app, components)
    return app


async def _register_actors(actor_host: DaprActor, events: EventPublisher) -> None:
    def inventory(ctx: ActorRuntimeContext, actor_id: ActorId) -> Inventory:
        return Inventory(ctx, actor_id, events)

    def order(ctx: ActorRuntimeContext, actor_id: ActorId) -> Order:
        return Order(ctx, actor_id, events)

    serializers = {"message_serializer": PlainJson(), "state_serializer": PlainJson()}
    await actor_host.register_actor(Inventory, actor_factory=inventory, **serializers)
    await actor_host.register_actor(Order, actor_factory=order, **serializers)


def _workflow_runtime(sidecar: Sidecar, components: ComponentNames) -> WorkflowRuntime:
    runtime = WorkflowRuntime(sidecar.settings.host, str(sidecar.settings.grpc_port))
    runtime.register_workflow(checkout)
    dependencies = CheckoutDependencies(
        inventory=InventoryClient(sidecar.actors),
        orders=OrderClient(sidecar.actors),
        sidecar_http=LoopBoundHttp(sidecar.settings),
        payments_app_id=components.payments_app_id,
        notifications_binding=components.notifications,
    )
    for activity in checkout_activities(dependencies):
        runtime.register_activity(activity)
    return runtime
