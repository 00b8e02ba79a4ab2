"""The `orders` app: the composition root. Run with `uvicorn --factory app.main:create_app`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dapr.ext.fastapi import DaprActor
from dapr.ext.workflow import WorkflowRuntime
from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import FastAPI

from actors.counter import Counter
from app import health
from app.problems import install_problem_handlers
from app.settings import ComponentNames, SidecarSettings
from app.sidecar import Sidecar, connect
from app.slice import install_slice
from app.workflow_worker import WorkflowWorker
from workflows.counter import build_increment_counter, count_workflow


def create_app(
    sidecar_settings: SidecarSettings | None = None, components: ComponentNames | None = None
) -> FastAPI:
    sidecar_settings = sidecar_settings or SidecarSettings()
    components = components or ComponentNames()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with connect(sidecar_settings) as sidecar:
            await actors.register_actor(Counter)
            worker = WorkflowWorker(_workflow_runtime(sidecar))
            workflows = DaprWorkflowClient(sidecar_settings.host, str(sidecar_settings.grpc_port))
            app.state.sidecar = sidecar
            app.state.components = components
            app.state.workflows = workflows
            app.state.workflow_worker = worker
            worker.start()
            try:
                yield
            finally:
                # The SDK's async workflow client has no close (1.18.3): its channel ends with
                # the process.
                await worker.stop()

    app = FastAPI(title="orders", version="0.1.0", lifespan=lifespan)
    actors = DaprActor(app)
    install_problem_handlers(app)
    app.include_router(health.router)
    install_slice(app, components)
    return app


def _workflow_runtime(sidecar: Sidecar) -> WorkflowRuntime:
    runtime = WorkflowRuntime(sidecar.settings.host, str(sidecar.settings.grpc_port))
    runtime.register_workflow(count_workflow)
    runtime.register_activity(build_increment_counter(sidecar.actors))
    return runtime
