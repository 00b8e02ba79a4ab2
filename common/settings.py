"""Settings both apps read: where the sidecar and the app listen, the component names, and
what the edge of every app enforces. Read from the environment once, in each app's lifespan."""

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
    # Feature flags (Configuration API); a profile without one keeps them in `statestore`.
    configstore: str = "configstore"
    images: str = "images"
    payments_app_id: str = "payments"
    orders_app_id: str = "orders"


class ServerSettings(BaseSettings):
    """Where the app itself listens: loopback, on the port its sidecar was told."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = Field("127.0.0.1", alias="APP_HOST")
    port: int | None = Field(None, alias="APP_PORT")


class EdgeSettings(BaseSettings):
    """What every app enforces before a route: the body cap and the sidecar's token."""

    model_config = SettingsConfigDict(env_prefix="PERIMETER_", extra="ignore")

    max_body_bytes: int = Field(64 * 1024, ge=1024)
    # The token daprd sends as `dapr-api-token` (APP_API_TOKEN, as `dapr run` and the
    # injector name it); unset means sidecar routes take no token.
    app_api_token: SecretStr | None = Field(None, validation_alias="APP_API_TOKEN")

    @property
    def app_token(self) -> str | None:
        return self.app_api_token.get_secret_value() if self.app_api_token else None
