"""The `payments` app: a simulated payment provider that `orders` calls by app-id."""

from fastapi import FastAPI

from app.problems import install_problem_handlers


def create_app() -> FastAPI:
    app = FastAPI(title="payments", version="0.1.0")
    install_problem_handlers(app, domain=False)

    @app.get("/health/live", tags=["health"])
    async def live() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/health/ready", tags=["health"])
    async def ready() -> dict[str, str]:
        return {"status": "ok"}

    return app
