"""Liveness and readiness, shaped for Kubernetes probes and for `dapr invoke`."""

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.services import ServicesDep
from app.sidecar import Sidecar

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(services: ServicesDep) -> JSONResponse:
    checks = {
        "sidecar": await services.sidecar.is_healthy(),
        "actors": await _actor_host_ready(services.sidecar),
        "workflows": await services.workflow_worker.is_ready(),
    }
    status = 200 if all(checks.values()) else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "unavailable", "checks": checks}, status
    )


async def _actor_host_ready(sidecar: Sidecar) -> bool:
    """The sidecar knows our actor types and is connected to placement."""
    try:
        runtime = (await sidecar.metadata()).get("actorRuntime", {})
    except (httpx.HTTPError, ValueError):
        return False
    return bool(runtime.get("hostReady")) and "connected" in str(runtime.get("placement", ""))
