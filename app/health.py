"""Liveness and readiness, shaped for Kubernetes probes and for `dapr invoke`."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from app.sidecar import Sidecar
from app.workflow_worker import WorkflowWorker

router = APIRouter(prefix="/health", tags=["health"])


def _sidecar(request: Request) -> Sidecar:
    sidecar: Sidecar = request.app.state.sidecar
    return sidecar


def _worker(request: Request) -> WorkflowWorker:
    worker: WorkflowWorker = request.app.state.workflow_worker
    return worker


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(
    sidecar: Annotated[Sidecar, Depends(_sidecar)],
    worker: Annotated[WorkflowWorker, Depends(_worker)],
) -> JSONResponse:
    checks = {
        "sidecar": await sidecar.is_healthy(),
        "actors": await _actor_host_ready(sidecar),
        "workflows": await worker.is_ready(),
    }
    status = 200 if all(checks.values()) else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "unavailable", "checks": checks}, status
    )


async def _actor_host_ready(sidecar: Sidecar) -> bool:
    """The sidecar knows our actor types and is connected to placement."""
    try:
        runtime = (await sidecar.metadata()).get("actorRuntime", {})
    except Exception:
        return False
    return bool(runtime.get("hostReady")) and "connected" in str(runtime.get("placement", ""))
