"""`python -m payments`: serves `payments` on APP_PORT, which `dapr run` and the launcher set."""

import uvicorn
from pydantic import Field

from app.settings import ServerSettings


class PaymentsServerSettings(ServerSettings):
    port: int = Field(8001, alias="APP_PORT")


if __name__ == "__main__":
    settings = PaymentsServerSettings()
    uvicorn.run("payments.main:create_app", factory=True, host=settings.host, port=settings.port)
