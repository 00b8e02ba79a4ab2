"""The `orders` app: the composition root. Run with `python -m app`.

`create_app` wires the web side (routes, subscriptions, the perimeter); its lifespan builds
every tenant's services once from the sidecar (app/wiring.py), or takes them from the caller,
as the in-process tests do with fakes.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from dapr.ext.fastapi import DaprActor, DaprApp
from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app import health
from app.api import auth, catalog, images, internal, orders, users
from app.api.deps import general_rate_limit, tenant_header
from app.console import install_console
from app.perimeter.idempotency import IdempotencyMiddleware
from app.problems import install_orders_problem_handlers
from app.settings import OrdersSettings, PerimeterSettings, TenancySettings
from app.subscriptions import install_subscriptions
from app.tenancy import HEADER, TenantMiddleware, Tenants
from app.wiring import sidecar_services
from common.observability import metrics
from common.observability.logs import configure_logging
from common.observability.requests import RequestContextMiddleware
from common.observability.tracing import TELEMETRY, configure_tracing, shutdown_tracing
from common.perimeter.app_token import AppTokenMiddleware, is_sidecar_path
from common.perimeter.edge import EdgeMiddleware
from common.problems import documented_problems
from common.tenancy import DEFAULT_TENANT

API_PREFIX = "/api/v1"
# POSTs that sign in or out are not replayed: each must be judged afresh.
NOT_IDEMPOTENT = tuple(f"{API_PREFIX}/auth/{name}" for name in ("token", "refresh", "logout"))
# The one route whose body may be larger than the edge's cap: an item's picture.
IMAGE_UPLOAD = rf"{API_PREFIX}/items/[^/]+/image"

BuildServices = Callable[[OrdersSettings, DaprActor], AbstractAsyncContextManager[Tenants]]


def create_app(
    settings: OrdersSettings | None = None, services: BuildServices = sidecar_services
) -> FastAPI:
    settings = settings or OrdersSettings()
    configure_logging("orders")
    configure_tracing("orders")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            async with services(settings, actor_host) as built:
                app.state.tenants = built
                app.state.services = built[DEFAULT_TENANT]
                yield
        finally:
            shutdown_tracing()

    app = FastAPI(title="orders", version="0.1.0", lifespan=lifespan, telemetry=TELEMETRY)
    actor_host = DaprActor(app)
    install_orders_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(_public_api(settings.tenancy))
    app.include_router(internal.router)
    install_subscriptions(DaprApp(app), settings.components)
    install_console(app)
    _hide_sidecar_routes(app)
    _install_perimeter(app, settings)
    app.add_middleware(RequestContextMiddleware)
    return app


def _public_api(tenancy: TenancySettings) -> APIRouter:
    documented = [Depends(tenant_header)] if tenancy.source == "header" else []
    api = APIRouter(
        prefix=API_PREFIX,
        dependencies=[*documented, Depends(general_rate_limit)],
        responses=documented_problems(400, 401, 403, 404, 409, 413, 422, 429, 503),
    )
    for router in (auth.router, users.router, catalog.router, images.router, orders.router):
        api.include_router(router)
    return api


def _install_perimeter(app: FastAPI, settings: OrdersSettings) -> None:
    """add_middleware wraps what is there, so these go innermost first; a request meets them
    as body cap and security headers, CORS, the sidecar's token, its tenant, then idempotent
    replays."""
    app.add_middleware(IdempotencyMiddleware, prefix=API_PREFIX, excluded=NOT_IDEMPOTENT)
    app.add_middleware(TenantMiddleware, prefix=API_PREFIX, settings=settings.tenancy)
    app.add_middleware(AppTokenMiddleware, token=settings.edge.app_token)
    _install_cors(app, settings.perimeter)
    uploads = [(IMAGE_UPLOAD, settings.service.image_max_bytes)]
    app.add_middleware(
        EdgeMiddleware, max_body_bytes=settings.edge.max_body_bytes, larger_bodies=uploads
    )


def _install_cors(app: FastAPI, perimeter: PerimeterSettings) -> None:
    if perimeter.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=perimeter.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "Idempotency-Key",
                "If-None-Match",
                HEADER,
            ],
            expose_headers=["Location", "Retry-After", "Idempotent-Replayed", "ETag"],
        )


def _hide_sidecar_routes(app: FastAPI) -> None:
    """The public OpenAPI document describes the public API, not the sidecar's callbacks
    (the SDK's actor and subscription routers add theirs to the schema)."""
    full_schema = app.openapi

    def public_schema() -> dict[str, Any]:
        schema = full_schema()
        schema["paths"] = {p: v for p, v in schema["paths"].items() if not is_sidecar_path(p)}
        return schema

    app.openapi = public_schema  # type: ignore[method-assign]
