"""Health shaped for Kubernetes probes and for `dapr invoke`.

- live: the process answers; never depends on the sidecar (a restart would not help).
- startup: start-up finished (secrets read, sidecar reached once, actors registered); until
  then Kubernetes holds off the other probes.
- ready: the sidecar (over HTTP and over this app's gRPC channel), the actor runtime and the
  workflow worker are up now; goes false when one is lost and true again by itself when it
  comes back.
"""

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.api.deps import ServicesDep
from app.workflow_worker import WorkflowWorker
from common.sidecar import Sidecar

router = APIRouter(prefix="/health", tags=["health"])


class SidecarReadiness:
    """Readiness of what `orders` depends on, asked of its sidecar and its workflow worker."""

    def __init__(self, sidecar: Sidecar, worker: WorkflowWorker) -> None:
        self._sidecar, self._worker = sidecar, worker

    async def checks(self) -> dict[str, bool]:
        return {
            "sidecar": await self._sidecar.is_healthy(),
            "sidecar_grpc": await self._sidecar.answers_grpc(),
            "actors": await self._actor_host_ready(),
            "workflows": await self._worker.is_ready(),
        }

    async def _actor_host_ready(self) -> bool:
        """The sidecar knows our actor types and is connected to placement."""
        try:
            runtime = (await self._sidecar.metadata()).get("actorRuntime", {})
        except (httpx.HTTPError, ValueError):
            return False
        return bool(runtime.get("hostReady")) and "connected" in str(runtime.get("placement", ""))


@router.get("/live")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/startup")
async def startup(request: Request) -> JSONResponse:
    started = getattr(request.app.state, "services", None) is not None
    return JSONResponse({"status": "ok" if started else "starting"}, 200 if started else 503)


@router.get("/ready")
async def ready(services: ServicesDep) -> JSONResponse:
    checks = await services.readiness.checks()
    status = 200 if all(checks.values()) else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "unavailable", "checks": checks}, status
    )
