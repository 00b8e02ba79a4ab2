"""`python -m app`: serves `orders` on APP_PORT, which `dapr run` and the launcher set."""

import uvicorn

from app.settings import ServerSettings

if __name__ == "__main__":
    settings = ServerSettings()
    uvicorn.run("app.main:create_app", factory=True, host=settings.host, port=settings.port)
