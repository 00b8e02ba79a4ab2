"""Serving an app of this project with uvicorn, as `python -m app` and `python -m payments` do."""

import uvicorn

from common.settings import ServerSettings

# Longer than daprd's idle connections (Go's default: 90 s), so the sidecar never reuses a
# connection that uvicorn is closing: that race answers actor calls with EOF.
KEEP_ALIVE_SECONDS = 120


def serve(factory: str, default_port: int) -> None:
    """Serves `factory` on APP_PORT (set by `dapr run` and the launcher) or `default_port`."""
    settings = ServerSettings()
    uvicorn.run(
        factory,
        factory=True,
        host=settings.host,
        port=settings.port or default_port,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # The app configures logging (app/observability/logs.py) and logs each request itself.
        log_config=None,
        access_log=False,
    )
