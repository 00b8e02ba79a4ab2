"""What the lifespan builds once and every route and handler shares."""

from dataclasses import dataclass
from typing import Annotated

from dapr.ext.workflow.aio import DaprWorkflowClient
from fastapi import Depends, Request

from actors.clients import InventoryClient, OrderClient
from app.auth.service import Authenticator
from app.perimeter.idempotency import IdempotencyStore
from app.perimeter.rate_limits import RateLimits
from app.read_models import ReadModels
from app.settings import AppSettings
from app.sidecar import Sidecar
from app.workflow_worker import WorkflowWorker


@dataclass(frozen=True)
class Services:
    settings: AppSettings
    sidecar: Sidecar
    inventory: InventoryClient
    orders: OrderClient
    read_models: ReadModels
    workflows: DaprWorkflowClient
    workflow_worker: WorkflowWorker
    auth: Authenticator
    rate_limits: RateLimits
    idempotency: IdempotencyStore


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
