"""The `orders` service's settings: one object, one class per concern, read from the
environment once in the lifespan."""

from dataclasses import dataclass, field

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from common.settings import ComponentNames, EdgeSettings, SidecarSettings


class AppSettings(BaseSettings):
    """How the `orders` service behaves; ORDERS_-prefixed environment variables."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    low_stock_threshold: int = Field(5, ge=0)
    currency: str = Field("EUR", pattern="^[A-Z]{3}$")
    # How long a `requires_action` payment may wait for the customer.
    payment_action_timeout_seconds: int = Field(600, ge=1)
    # How often the Order actor checks that a saga drives each of its pending orders.
    saga_watch_seconds: int = Field(30, ge=1)
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
