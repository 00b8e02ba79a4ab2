"""The local secret store's file: generated once with random values, never committed."""

import json
import secrets
from pathlib import Path


def ensure_local_secrets(path: Path) -> None:
    """Creates the file on first run; later runs keep what it holds and add what is new."""
    existing: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = {
        "jwt-signing-key": secrets.token_urlsafe(48),
        "admin-email": "admin@example.com",
        "admin-password": secrets.token_urlsafe(18),
        "app-api-token": secrets.token_urlsafe(32),
        "dapr-api-token": secrets.token_urlsafe(32),
        "redis-password": secrets.token_urlsafe(24),
        "postgres-password": secrets.token_urlsafe(24),
    }
    merged = {**wanted, **existing}
    if merged != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n")
        path.chmod(0o600)


def sidecar_tokens(path: Path) -> dict[str, str]:
    """The token pair `dapr run` would pass to both daprd and the app: APP_API_TOKEN (the
    sidecar presents it to the app) and DAPR_API_TOKEN (the app presents it to the sidecar)."""
    stored = json.loads(path.read_text())
    return {"APP_API_TOKEN": stored["app-api-token"], "DAPR_API_TOKEN": stored["dapr-api-token"]}
