"""The Multi-App Run file (dapr.yaml): the apps, their ports and the resources their sidecars
load, as `dapr run -f dapr.yaml` reads it; `make run`, the tests and the benchmarks start the
apps from it, so all of them start the apps the same way."""

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from devstack.processes import free_port
from devstack.runtime import PROJECT_ROOT

PROFILES = ("embedded", "redis", "postgres")
EMBEDDED_COMPONENTS = PROJECT_ROOT / "components" / "embedded"


@dataclass(frozen=True)
class AppSpec:
    app_id: str
    command: list[str]
    app_dir: Path
    app_port: int
    http_port: int
    grpc_port: int
    metrics_port: int
    env: dict[str, str] = field(default_factory=dict)
    # daprd's pprof server (`--enable-profiling`) on this port, for `make bench`'s profiles.
    profile_port: int | None = None

    def on_free_ports(self) -> "AppSpec":
        return replace(
            self,
            app_port=free_port(),
            http_port=free_port(),
            grpc_port=free_port(),
            metrics_port=free_port(),
        )


@dataclass(frozen=True)
class RunFile:
    """The parts of a Multi-App Run file (dapr.yaml) this stack uses."""

    resources_paths: list[Path]
    config_path: Path
    log_level: str
    env: dict[str, str]
    apps: dict[str, AppSpec]
    profile: str = "embedded"

    def with_profile(self, profile: str) -> "RunFile":
        """The same run with `components/<profile>` in place of `components/embedded`."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
        paths = [
            path.with_name(profile) if path == EMBEDDED_COMPONENTS else path
            for path in self.resources_paths
        ]
        return replace(self, resources_paths=paths, profile=profile)

    def with_trace_collector(self, endpoint: str, into: Path) -> "RunFile":
        """Apps and sidecars export spans to one OTLP/HTTP collector at `endpoint` (a URL):
        the apps through OTEL_EXPORTER_OTLP_ENDPOINT, the sidecars through a copy of the
        Configuration, written to `into`, with its tracing exporter set."""
        config: dict[str, Any] = yaml.safe_load(self.config_path.read_text())
        address = endpoint.removeprefix("http://").removeprefix("https://").rstrip("/")
        tracing = config["spec"].setdefault("tracing", {"samplingRate": "1"})
        tracing["otel"] = {
            "endpointAddress": address,
            "isSecure": endpoint.startswith("https://"),
            "protocol": "http",
        }
        into.parent.mkdir(parents=True, exist_ok=True)
        into.write_text(yaml.safe_dump(config, sort_keys=False))
        env = {**self.env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        return replace(self, config_path=into, env=env)

    @classmethod
    def load(cls, path: Path = PROJECT_ROOT / "dapr.yaml") -> "RunFile":
        raw: dict[str, Any] = yaml.safe_load(path.read_text())
        base = path.parent
        common = raw.get("common", {})
        env = {k: str(v) for k, v in common.get("env", {}).items()}
        apps = {app["appID"]: _app_spec(app, base, env) for app in raw["apps"]}
        return cls(
            resources_paths=[(base / p).resolve() for p in common["resourcesPaths"]],
            config_path=(base / common["configFilePath"]).resolve(),
            log_level=common.get("logLevel", "info"),
            env=env,
            apps=apps,
        )


def _app_spec(app: dict[str, Any], base: Path, common_env: dict[str, str]) -> AppSpec:
    return AppSpec(
        app_id=app["appID"],
        command=[str(part) for part in app["command"]],
        app_dir=(base / app.get("appDirPath", ".")).resolve(),
        app_port=int(app["appPort"]),
        http_port=int(app["daprHTTPPort"]),
        grpc_port=int(app["daprGRPCPort"]),
        metrics_port=int(app["metricsPort"]),
        env={**common_env, **{k: str(v) for k, v in app.get("env", {}).items()}},
    )
