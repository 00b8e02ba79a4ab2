"""`python -m app`: serves `orders` on APP_PORT, which `dapr run` and the launcher set."""

import uvicorn

from app.settings import ServerSettings

# Longer than daprd's idle connections (Go's default: 90 s), so the sidecar never reuses a
# connection that uvicorn is closing: that race answers actor calls with EOF.
KEEP_ALIVE_SECONDS = 120

if __name__ == "__main__":
    settings = ServerSettings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
