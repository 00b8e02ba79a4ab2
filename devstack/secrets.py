"""The local secret store's file: generated once with random values, never committed."""

import json
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

APPS = ("orders", "payments")
TENANT_ADMINS = "tenant-admins"


def ensure_local_secrets(path: Path, tenants: Sequence[str] | None = None) -> None:
    """Creates the file on first run; later runs keep what it holds and add what is new: an
    administrator for each tenant (`tenants`, else TENANCY_TENANTS) that has none yet."""
    existing: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    wanted = {
        "jwt-signing-key": secrets.token_urlsafe(48),
        "admin-email": "admin@example.com",
        "admin-password": secrets.token_urlsafe(18),
        "service-caller-key": secrets.token_urlsafe(48),
        "redis-password": secrets.token_urlsafe(24),
        "postgres-password": secrets.token_urlsafe(24),
        # The S3 store of the items' pictures (MinIO locally).
        "images-access-key": f"images-{secrets.token_hex(6)}",
        "images-secret-key": secrets.token_urlsafe(24),
    }
    for app_id in APPS:
        wanted[f"{app_id}-app-api-token"] = secrets.token_urlsafe(32)
        wanted[f"{app_id}-dapr-api-token"] = secrets.token_urlsafe(32)
    merged = {**wanted, TENANT_ADMINS: "{}", **existing}
    merged[TENANT_ADMINS] = _with_admins(
        merged[TENANT_ADMINS], tenants_from_env() if tenants is None else tenants
    )
    if merged != existing:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2) + "\n")
        path.chmod(0o600)


def tenants_from_env() -> list[str]:
    """TENANCY_TENANTS as the app reads it (a JSON list); the app says what is wrong with it."""
    try:
        listed = json.loads(os.environ.get("TENANCY_TENANTS", "[]"))
    except ValueError:
        return []
    return [t for t in listed if isinstance(t, str)] if isinstance(listed, list) else []


def _with_admins(stored: str, tenants: Sequence[str]) -> str:
    """The `tenant-admins` JSON with an administrator for each of `tenants` (one text value:
    the secret store would split a nested object into keys of its own)."""
    admins = json.loads(stored)
    for tenant in tenants:
        if tenant != "default" and tenant not in admins:
            email, password = f"admin@{tenant}.example.com", secrets.token_urlsafe(18)
            admins[tenant] = {"email": email, "password": password}
    return json.dumps(admins, sort_keys=True)


def sidecar_tokens(path: Path, app_id: str) -> dict[str, str]:
    """The token pair of one app and its sidecar, as `dapr run` passes them to both:
    APP_API_TOKEN (the sidecar presents it to the app) and DAPR_API_TOKEN (the app presents it
    to the sidecar). Each app has its own, so one app's token opens no other sidecar."""
    stored = json.loads(path.read_text())
    return {
        "APP_API_TOKEN": stored[f"{app_id}-app-api-token"],
        "DAPR_API_TOKEN": stored[f"{app_id}-dapr-api-token"],
    }
