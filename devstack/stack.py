"""A local Dapr stack: placement, scheduler and each app beside its daprd, on loopback.

It reads the same Multi-App Run file as `dapr run -f dapr.yaml`, so `make run`, the test
harness and a Dapr install all start the apps the same way. daprd runs in `workdir`, so the
relative paths in components/ and config/ (SQLite files, the secrets file) land under
`workdir/.data`.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import yaml

from devstack.processes import ManagedProcess, free_port, wait_until
from devstack.runtime import PROJECT_ROOT
from devstack.secrets import ensure_local_secrets, sidecar_tokens
from devstack.servers import PROFILES, start_servers

LOOPBACK = "127.0.0.1"
EMBEDDED_COMPONENTS = PROJECT_ROOT / "components" / "embedded"
STARTUP_TIMEOUT = 90.0


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


@dataclass
class RunningApp:
    spec: AppSpec
    app: ManagedProcess
    daprd: ManagedProcess
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def sidecar_headers(self) -> dict[str, str]:
        """What a caller of this app's sidecar API presents (`dapr-api-token`)."""
        token = self.tokens.get("DAPR_API_TOKEN")
        return {"dapr-api-token": token} if token else {}

    @property
    def secrets_file(self) -> Path:
        """The local secret store's file: daprd resolves the component's relative path from
        its working directory."""
        return self.daprd.cwd / ".data" / "secrets.json"

    @property
    def app_headers(self) -> dict[str, str]:
        """What this app's sidecar presents when it calls the app."""
        token = self.tokens.get("APP_API_TOKEN")
        return {"dapr-api-token": token} if token else {}

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.spec.app_port}"

    @property
    def dapr_url(self) -> str:
        return f"http://{LOOPBACK}:{self.spec.http_port}"


@dataclass
class Stack:
    bin_dir: Path
    workdir: Path
    run_file: RunFile
    placement_port: int = field(default_factory=free_port)
    scheduler_port: int = field(default_factory=free_port)
    placement_health_port: int = field(default_factory=free_port)
    scheduler_health_port: int = field(default_factory=free_port)
    # Fixed for the stack's life: a restarted scheduler reopens its etcd data with them.
    scheduler_etcd_ports: tuple[int, int] = field(
        default_factory=lambda: (free_port(), free_port())
    )
    processes: list[ManagedProcess] = field(default_factory=list)
    apps: dict[str, RunningApp] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    control_plane: dict[str, ManagedProcess] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.workdir / ".data" / "logs"

    def start_control_plane(self) -> None:
        data = self.workdir / ".data"
        data.mkdir(parents=True, exist_ok=True)
        ensure_local_secrets(data / "secrets.json")
        self.tokens = sidecar_tokens(data / "secrets.json")
        start_servers(
            self.run_file.profile, data, data / "secrets.json", self._spawn, self.cleanups.append
        )
        self.start_control_plane_service("placement")
        self.start_control_plane_service("scheduler")

    def start_control_plane_service(self, name: str) -> None:
        """Starts placement or scheduler on the stack's ports, again after a kill as well."""
        argv, health_port = {
            "placement": (self._placement_argv, self.placement_health_port),
            "scheduler": (self._scheduler_argv, self.scheduler_health_port),
        }[name]
        process = self._spawn(name, argv(), self.workdir)
        self.control_plane[name] = process
        _wait_answers(f"http://{LOOPBACK}:{health_port}/healthz", name, [process])

    def kill_control_plane_service(self, name: str) -> None:
        self.control_plane[name].kill()

    def start_app(
        self, spec: AppSpec, *, wait_ready_path: str | None = "/health/ready"
    ) -> RunningApp:
        app = self._spawn(spec.app_id, self._app_argv(spec), spec.app_dir, self._app_env(spec))
        daprd = self._spawn(
            f"daprd-{spec.app_id}", self._daprd_argv(spec), self.workdir, self.tokens
        )
        running = RunningApp(spec, app, daprd, self.tokens)
        self.apps[spec.app_id] = running
        self.wait_ready(running, wait_ready_path)
        return running

    def crash_and_restart(self, app_id: str) -> None:
        """SIGKILLs the app (not its sidecar), as a crash would, and starts it again."""
        self.kill_app(app_id)
        self.revive_app(app_id)

    def kill_app(self, app_id: str) -> None:
        self.apps[app_id].app.kill()

    def revive_app(self, app_id: str) -> None:
        """Starts a killed app again beside its sidecar and waits until it is ready."""
        running = self.apps[app_id]
        spec = running.spec
        running.app = self._spawn(
            spec.app_id, self._app_argv(spec), spec.app_dir, self._app_env(spec)
        )
        self.wait_ready(running)

    def kill_sidecar(self, app_id: str) -> None:
        """SIGKILLs the app's daprd, as a crash would; the app keeps running."""
        self.apps[app_id].daprd.kill()

    def start_sidecar(self, app_id: str) -> None:
        """Starts the app's daprd again on the same ports and waits for it to answer."""
        running = self.apps[app_id]
        running.daprd = self._spawn(
            f"daprd-{app_id}", self._daprd_argv(running.spec), self.workdir, self.tokens
        )
        self.wait_ready(running, ready_path=None)

    def wait_ready(self, running: RunningApp, ready_path: str | None = "/health/ready") -> None:
        watch = [running.app, running.daprd]
        _wait_answers(f"{running.dapr_url}/v1.0/healthz", running.daprd.name, watch)
        if ready_path is not None:
            _wait_answers(running.url + ready_path, running.spec.app_id, watch)

    def stop(self) -> None:
        """Apps first, then their sidecars, then the control plane."""
        for process in reversed(self.processes):
            process.stop()
        for cleanup in self.cleanups:
            cleanup()

    def logs(self) -> dict[str, str]:
        return {process.name: process.log_tail() for process in self.processes}

    def _spawn(
        self, name: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> ManagedProcess:
        process = ManagedProcess(
            name, argv, self.log_dir / f"{name}.log", cwd, {**self.run_file.env, **(env or {})}
        )
        self.processes.append(process.start())
        return process

    def _placement_argv(self) -> list[str]:
        return [
            str(self.bin_dir / "placement"),
            f"--listen-address={LOOPBACK}",
            f"--port={self.placement_port}",
            f"--healthz-listen-address={LOOPBACK}",
            f"--healthz-port={self.placement_health_port}",
            f"--metrics-listen-address={LOOPBACK}",
            f"--metrics-port={free_port()}",
            f"--initial-cluster=dapr-placement-0={LOOPBACK}:{free_port()}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _scheduler_argv(self) -> list[str]:
        return [
            str(self.bin_dir / "scheduler"),
            f"--listen-address={LOOPBACK}",
            f"--port={self.scheduler_port}",
            f"--healthz-listen-address={LOOPBACK}",
            f"--healthz-port={self.scheduler_health_port}",
            f"--metrics-listen-address={LOOPBACK}",
            f"--metrics-port={free_port()}",
            f"--etcd-data-dir={self.workdir / '.data' / 'scheduler'}",
            f"--etcd-client-listen-address={LOOPBACK}",
            f"--etcd-client-port={self.scheduler_etcd_ports[0]}",
            "--etcd-initial-cluster="
            f"dapr-scheduler-server-0=http://{LOOPBACK}:{self.scheduler_etcd_ports[1]}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _daprd_argv(self, spec: AppSpec) -> list[str]:
        resources = [f"--resources-path={path}" for path in self.run_file.resources_paths]
        return [
            str(self.bin_dir / "daprd"),
            f"--app-id={spec.app_id}",
            f"--app-port={spec.app_port}",
            "--app-protocol=http",
            f"--app-channel-address={LOOPBACK}",
            f"--dapr-listen-addresses={LOOPBACK}",
            f"--dapr-http-port={spec.http_port}",
            f"--dapr-grpc-port={spec.grpc_port}",
            f"--dapr-internal-grpc-listen-address={LOOPBACK}",
            f"--dapr-internal-grpc-port={free_port()}",
            f"--metrics-listen-address={LOOPBACK}",
            f"--metrics-port={spec.metrics_port}",
            f"--placement-host-address={LOOPBACK}:{self.placement_port}",
            f"--scheduler-host-address={LOOPBACK}:{self.scheduler_port}",
            f"--config={self.run_file.config_path}",
            *resources,
            f"--log-level={self.run_file.log_level}",
        ]

    def _app_argv(self, spec: AppSpec) -> list[str]:
        # `python` means this interpreter, so the app runs in the project's environment.
        command = list(spec.command)
        if command[0] in ("python", "python3"):
            command[0] = sys.executable
        return command

    def _app_env(self, spec: AppSpec) -> dict[str, str]:
        return {
            **spec.env,
            "PYTHONUNBUFFERED": "1",
            "APP_ID": spec.app_id,
            "APP_PORT": str(spec.app_port),
            "DAPR_HTTP_PORT": str(spec.http_port),
            "DAPR_GRPC_PORT": str(spec.grpc_port),
            **self.tokens,
        }


def _wait_answers(url: str, name: str, watch: list[ManagedProcess]) -> None:
    wait_until(
        lambda: _answers(url), what=f"{name} to answer {url}", timeout=STARTUP_TIMEOUT, watch=watch
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).is_success
    except httpx.HTTPError:
        return False
