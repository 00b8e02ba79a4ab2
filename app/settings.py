"""Typed settings, one class per concern, read from the environment once in the lifespan."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class SidecarSettings(BaseSettings):
    """Where this app's Dapr sidecar listens; `dapr run` and the launcher set these variables."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="DAPR_HOST")
    http_port: int = Field(3500, alias="DAPR_HTTP_PORT")
    grpc_port: int = Field(50001, alias="DAPR_GRPC_PORT")
    api_token: SecretStr | None = Field(None, alias="DAPR_API_TOKEN")
    # An actor call waits while the sidecar has no placement table (placement down, a host
    # joining): past this the caller gets a 503 or the activity retries, rather than hanging.
    actor_call_timeout_seconds: int = Field(10, ge=1, alias="ACTOR_CALL_TIMEOUT_SECONDS")

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def grpc_address(self) -> str:
        return f"{self.host}:{self.grpc_port}"


class ComponentNames(BaseSettings):
    """Names of the Dapr components and apps the code talks to; the same in every profile."""

    model_config = SettingsConfigDict(env_prefix="COMPONENT_", extra="ignore")

    statestore: str = "statestore"
    pubsub: str = "pubsub"
    secretstore: str = "secretstore"
    notifications: str = "notifications"
    payments_app_id: str = "payments"


class ServerSettings(BaseSettings):
    """Where the app itself listens: loopback, on the port its sidecar was told."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="APP_HOST")
    port: int | None = Field(None, alias="APP_PORT")


class AppSettings(BaseSettings):
    """How the `orders` service behaves; ORDERS_-prefixed environment variables."""

    model_config = SettingsConfigDict(env_prefix="ORDERS_", extra="ignore")

    low_stock_threshold: int = Field(5, ge=0)
    currency: str = Field("EUR", pattern="^[A-Z]{3}$")
    # How long a `requires_action` payment may wait for the customer.
    payment_action_timeout_seconds: int = Field(600, ge=1)
    # Finished sagas' workflow state is purged by housekeeping after this long.
    saga_retention_seconds: int = Field(7 * 24 * 3600, ge=0)
    # How often the Order actor checks that a saga drives each of its pending orders.
    saga_watch_seconds: int = Field(30, ge=1)


class AuthSettings(BaseSettings):
    """Token lifetimes and the names of the secrets behind authentication; AUTH_ prefix."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    access_token_seconds: int = Field(15 * 60, ge=1)
    refresh_token_seconds: int = Field(7 * 24 * 3600, ge=1)
    issuer: str = "dapr-commerce/orders"
    # Names of entries in the `secretstore` component.
    signing_key_secret: str = "jwt-signing-key"
    admin_email_secret: str = "admin-email"
    admin_password_secret: str = "admin-password"


class PerimeterSettings(BaseSettings):
    """Rate limits, body size, CORS and idempotency at the edge; PERIMETER_ prefix.

    Rate limits use the `limits` notation ("10/minute"); they are kept per process.
    """

    model_config = SettingsConfigDict(env_prefix="PERIMETER_", extra="ignore")

    login_rate_limit: str = "10/minute"
    register_rate_limit: str = "20/minute"
    general_rate_limit: str = "1200/minute"
    max_body_bytes: int = Field(64 * 1024, ge=1024)
    cors_origins: list[str] = []
    idempotency_key_seconds: int = Field(24 * 3600, ge=1)
    # The token daprd sends as `dapr-api-token` (APP_API_TOKEN, as `dapr run` and the
    # injector name it); unset means sidecar routes take no token.
    app_api_token: SecretStr | None = Field(None, validation_alias="APP_API_TOKEN")
