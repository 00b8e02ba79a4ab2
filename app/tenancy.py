"""Which tenant a request is for, decided once at the edge, and that tenant's services.

The lifespan builds every tenant's `Services` once (app/wiring.py): the same sidecar, with
each tenant's state keys, actor ids, saga ids and notices scoped (common/tenancy.py). The
middleware resolves the tenant of every public API request from the header or the Host and
answers a missing, malformed or unknown tenant with a problem document before anything else
runs; the routes, the idempotent replays and the rate limits then get that tenant's
services. A token names its tenant, and a tenant's Authenticator refuses any other's.

Routes outside the public API have no tenant of their own: the sidecar's callbacks find it
in what they are given (an event's `tenant` attribute, an actor's or a saga's id), and the
health routes use the default tenant's services, whose readiness is everyone's.
"""

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from app.settings import TenancySettings
from common.problems import problem
from common.tenancy import DEFAULT_TENANT, SEPARATOR, TENANT_PATTERN, is_tenant_id, split_id

if TYPE_CHECKING:  # the services hold the idempotency store, whose middleware asks here
    from app.services import Services

HEADER = "X-Tenant-ID"
_HEADER_KEY = HEADER.lower().encode()
STATE_KEY = "tenant"
# Every tenant's services, the default tenant's included.
Tenants = Mapping[str, "Services"]


class UnknownTenant(Exception):
    """400 (missing or malformed) or 404 (no such tenant), with the reason."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def resolve(settings: TenancySettings, headers: Mapping[bytes, bytes]) -> str:
    """The tenant a request names, by the configured source; UnknownTenant else."""
    if settings.source == "none":
        return DEFAULT_TENANT
    if settings.source == "header":
        named = headers.get(_HEADER_KEY)
        if named is None:
            raise UnknownTenant(400, f"The {HEADER} header names the tenant; it is missing.")
        tenant = named.decode("latin-1")
    else:
        tenant = _subdomain(headers.get(b"host", b"").decode("latin-1"), settings)
    if not is_tenant_id(tenant):
        raise UnknownTenant(400, f"{tenant[:64]!r} is not a tenant id ({TENANT_PATTERN}).")
    if tenant not in settings.all_tenants:
        raise UnknownTenant(404, f"No tenant {tenant!r}.")
    return tenant


def _subdomain(host: str, settings: TenancySettings) -> str:
    name = re.sub(r":\d+$", "", host).lower()
    suffix = f".{settings.base_domain}"
    label = name.removesuffix(suffix)
    if label == name or not label or "." in label:
        raise UnknownTenant(400, f"The host names the tenant as <tenant>{suffix}.")
    return label


class TenantMiddleware:
    """Resolves the tenant of requests under `prefix` into the request's state (and its log
    lines); answers a problem document when there is none."""

    def __init__(self, app: ASGIApp, prefix: str, settings: TenancySettings) -> None:
        self.app, self._prefix, self._settings = app, prefix, settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self._prefix):
            await self.app(scope, receive, send)
            return
        try:
            tenant = resolve(self._settings, dict(scope["headers"]))
        except UnknownTenant as unknown:
            await problem(unknown.status, unknown.detail)(scope, receive, send)
            return
        scope.setdefault("state", {})[STATE_KEY] = tenant
        if self._settings.source != "none":
            # Not reset on the way out: the request's own line, written after this returns,
            # names the tenant too (the request context starts afresh for each request).
            structlog.contextvars.bind_contextvars(tenant=tenant)
        await self.app(scope, receive, send)


def services_of(scope: Scope) -> "Services":
    """The services of the request's tenant (the default tenant's outside the public API)."""
    tenants: Tenants = scope["app"].state.tenants
    state: dict[str, Any] = scope.get("state", {})
    return tenants[state.get(STATE_KEY, DEFAULT_TENANT)]


def services_for_id(tenants: Tenants, actor_id: str) -> "tuple[Services, str] | None":
    """The services of the tenant an actor or saga id belongs to, and the id its clients
    use; None when that tenant is not one of this service's."""
    tenant, local_id = split_id(actor_id)
    services = tenants.get(tenant)
    return None if services is None or SEPARATOR in local_id else (services, local_id)
