"""How the apps report on themselves. Traces follow the standard OTEL_* variables."""

import os
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

OTLP_ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


class LogSettings(BaseSettings):
    """LOG_FORMAT json (production, the default) or console (development); LOG_LEVEL."""

    model_config = SettingsConfigDict(env_prefix="LOG_", extra="ignore")

    format: Literal["json", "console"] = "json"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


def trace_export_configured() -> bool:
    """Traces leave the process only when an OTLP endpoint is named: off by default."""
    return any(os.environ.get(name) for name in OTLP_ENDPOINT_VARIABLES) and (
        os.environ.get("OTEL_SDK_DISABLED", "").lower() != "true"
    )
