"""Health shaped for Kubernetes probes and for `dapr invoke`.

- live: the process answers; never depends on the sidecar (a restart would not help).
- startup: start-up finished (secrets read, sidecar reached once, actors registered); until
  then Kubernetes holds off the other probes.
- ready: the sidecar, the actor runtime and the workflow worker are up now; goes false when
  one is lost and true again by itself when it comes back.
"""

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.services import ServicesDep
from app.sidecar import Sidecar

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/startup")
async def startup(request: Request) -> JSONResponse:
    started = getattr(request.app.state, "services", None) is not None
    return JSONResponse({"status": "ok" if started else "starting"}, 200 if started else 503)


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
