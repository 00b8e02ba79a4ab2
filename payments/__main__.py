"""`python -m payments`: serves `payments` on APP_PORT, which `dapr run` and the launcher set."""

import uvicorn
from pydantic import Field

from app.settings import ServerSettings


class PaymentsServerSettings(ServerSettings):
    port: int = Field(8001, alias="APP_PORT")


# Longer than daprd's idle connections (Go's default: 90 s), so the sidecar never reuses a
# connection that uvicorn is closing: that race answers actor calls with EOF.
KEEP_ALIVE_SECONDS = 120

if __name__ == "__main__":
    settings = PaymentsServerSettings()
    uvicorn.run(
        "payments.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
