"""The `orders` service's settings: one object, one class per concern, read from the
environment once in the lifespan."""

from dataclasses import dataclass, field
from typing import Literal, Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import ComponentNames, EdgeSettings, SidecarSettings
from common.tenancy import DEFAULT_TENANT, TENANT_PATTERN, is_tenant_id


class AppSettings(BaseSettings):
    """How the `orders` service behaves; ORDERS_-prefixed environment variables."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    low_stock_threshold: int = Field(5, ge=0)
    currency: str = Field("EUR", pattern="^[A-Z]{3}$")
    # How long a `requires_action` payment may wait for the customer.
    payment_action_timeout_seconds: int = Field(600, ge=1)
    # How often the Order actor checks that a saga drives each of its pending orders.
    saga_watch_seconds: int = Field(30, ge=1)
    # A saga step still running after this long lost its activity (daprd 1.18 can drop a work
    # item sent while its sidecar restarts, and then waits for it for ever): the watch stops
    # that run and starts another. Longer than a step's whole retry budget (the reservation's
    # is about six minutes); waiting for the customer is not a step it stops.
    saga_stall_seconds: int = Field(900, ge=1)
    # How many saga watches one process runs at once; a firing beyond that does nothing and
    # the order's next firing checks again.
    saga_checks_at_once: int = Field(8, ge=1)
    # When the low-stock digest goes out (a Dapr job schedule: cron, @daily, @every 1h).
    low_stock_digest_schedule: str = Field("@daily", min_length=1)
    # Items' pictures: the largest upload taken, and how long a client may keep one without
    # asking again. The bytes reach the sidecar over gRPC as base64, within daprd's default
    # 4 MiB body limit: hence the ceiling.
    image_max_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=3_000_000)
    image_cache_seconds: int = Field(60, ge=0)


class FlagSettings(BaseSettings):
    """How feature flags are followed (app/flag_sources.py); FLAGS_ prefix."""

    model_config = SettingsConfigDict(env_prefix="FLAGS_", extra="ignore")

    # Without a configuration store: how often the state store is read.
    poll_seconds: float = Field(2.0, gt=0, le=60)
    # With one: how often the subscription is backed by a full read (a change the store's
    # notification lost is caught within this), and the pause before subscribing again.
    resync_seconds: float = Field(30.0, gt=0)
    retry_seconds: float = Field(1.0, gt=0, le=60)


class AuthSettings(BaseSettings):
    """Token lifetimes and the names of the secrets behind authentication; AUTH_ prefix."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    access_token_seconds: int = Field(15 * 60, ge=1)
    refresh_token_seconds: int = Field(7 * 24 * 3600, ge=1)
    # How long a process trusts its last look at a user's revocations (0: never).
    revocation_cache_seconds: float = Field(1.0, ge=0, le=60)
    issuer: str = "dapr-commerce/orders"
    # Names of entries in the `secretstore` component.
    signing_key_secret: str = "jwt-signing-key"
    admin_email_secret: str = "admin-email"
    admin_password_secret: str = "admin-password"
    # Signs the assertion that proves to `payments` a call comes from `orders`.
    caller_key_secret: str = "service-caller-key"


class PerimeterSettings(BaseSettings):
    """Rate limits, CORS and idempotency at the edge of the public API; PERIMETER_ prefix.

    Rate limits use the `limits` notation ("10/minute"); they are kept per process.
    """

    model_config = SettingsConfigDict(env_prefix="PERIMETER_", extra="ignore")

    login_rate_limit: str = "10/minute"
    register_rate_limit: str = "20/minute"
    general_rate_limit: str = "1200/minute"
    cors_origins: list[str] = []
    idempotency_key_seconds: int = Field(24 * 3600, ge=1)


class TenancySettings(BaseSettings):
    """Where a request's tenant comes from, and which tenants there are; TENANCY_ prefix.

    `none` (the default): one tenant, the default one, exactly as before tenants existed.
    `header`: the `X-Tenant-ID` header names it. `subdomain`: the first label of the Host
    under `base_domain` (`acme.shop.example` with base domain `shop.example`). The default
    tenant always exists; `tenants` (a JSON list) names the others."""

    model_config = SettingsConfigDict(env_prefix="TENANCY_", extra="ignore")

    source: Literal["none", "header", "subdomain"] = "none"
    tenants: list[str] = []
    base_domain: str | None = Field(None, min_length=1)
    # A JSON object in the secret store: {"<tenant>": {"email": ..., "password": ...}}.
    admins_secret: str = "tenant-admins"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        malformed = [t for t in self.tenants if not is_tenant_id(t)]
        if malformed:
            raise ValueError(f"TENANCY_TENANTS: {malformed} do not match {TENANT_PATTERN}")
        if self.tenants and self.source == "none":
            raise ValueError("TENANCY_TENANTS needs TENANCY_SOURCE=header or subdomain")
        if self.source == "subdomain" and not self.base_domain:
            raise ValueError("TENANCY_SOURCE=subdomain needs TENANCY_BASE_DOMAIN")
        return self

    @property
    def all_tenants(self) -> tuple[str, ...]:
        """The default tenant first, then the others, each once."""
        return tuple(dict.fromkeys([DEFAULT_TENANT, *self.tenants]))


@dataclass(frozen=True)
class OrdersSettings:
    """Everything `orders` reads from its environment, by concern."""

    sidecar: SidecarSettings = field(default_factory=SidecarSettings)
    components: ComponentNames = field(default_factory=ComponentNames)
    service: AppSettings = field(default_factory=AppSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    perimeter: PerimeterSettings = field(default_factory=PerimeterSettings)
    flags: FlagSettings = field(default_factory=FlagSettings)
    edge: EdgeSettings = field(default_factory=EdgeSettings)
    tenancy: TenancySettings = field(default_factory=TenancySettings)
