"""A local Dapr stack: the control plane and each app replica beside its own daprd, on loopback.

daprd runs in `workdir`, so the relative paths in components/ and config/ (SQLite files, the
secrets file) land under `workdir/.data`. The stack starts each process and can start any one
of them again (after a crash, or a fault a test injected); stopping stops them all.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.front_door import start_front_door
from devstack.processes import ManagedProcess, free_port, wait_until
from devstack.runfile import AppSpec, RunFile
from devstack.secrets import ensure_local_secrets, sidecar_tokens
from devstack.servers import start_servers

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT = 90.0
CONTROL_PLANE = ("placement", "scheduler")


@dataclass
class RunningApp:
    """One replica of an app: the app process and its daprd."""

    spec: AppSpec
    replica: int
    app: ManagedProcess
    daprd: ManagedProcess
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.app_id if self.replica == 0 else f"{self.spec.app_id}-{self.replica}"

    @property
    def sidecar_headers(self) -> dict[str, str]:
        """What a caller of this app's sidecar API presents (`dapr-api-token`)."""
        token = self.tokens.get("DAPR_API_TOKEN")
        return {"dapr-api-token": token} if token else {}

    @property
    def app_headers(self) -> dict[str, str]:
        """What this app's sidecar presents when it calls the app."""
        token = self.tokens.get("APP_API_TOKEN")
        return {"dapr-api-token": token} if token else {}

    @property
    def secrets_file(self) -> Path:
        """The local secret store's file: daprd resolves the component's relative path from
        its working directory."""
        return self.daprd.cwd / ".data" / "secrets.json"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.spec.app_port}"

    @property
    def dapr_url(self) -> str:
        return f"http://{LOOPBACK}:{self.spec.http_port}"


@dataclass
class Member:
    """One placement or scheduler process; its ports stay for the stack's life, so a member
    started again finds its peers (and a scheduler its etcd data) where they were."""

    kind: str
    index: int
    name: str
    port: int = field(default_factory=free_port)
    health_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    client_port: int = field(default_factory=free_port)
    metrics_port: int = field(default_factory=free_port)
    process: ManagedProcess | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"


@dataclass
class Stack:
    bin_dir: Path
    workdir: Path
    run_file: RunFile
    # 1, or 3 for a highly available control plane (placement Raft, one scheduler etcd).
    control_plane_size: int = 1
    processes: list[ManagedProcess] = field(default_factory=list)
    members: dict[str, list[Member]] = field(default_factory=dict)
    replicas: dict[str, list[RunningApp]] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    # HAProxy in front of a replicated app's replicas, by app-id, and where it listens.
    front_doors: dict[str, str] = field(default_factory=dict)

    @property
    def apps(self) -> dict[str, RunningApp]:
        """The first replica of each app."""
        return {app_id: running[0] for app_id, running in self.replicas.items()}

    @property
    def log_dir(self) -> Path:
        return self.workdir / ".data" / "logs"

    @property
    def secrets_path(self) -> Path:
        return self.workdir / ".data" / "secrets.json"

    def start_control_plane(self) -> None:
        data = self.workdir / ".data"
        data.mkdir(parents=True, exist_ok=True)
        ensure_local_secrets(self.secrets_path)
        start_servers(
            self.run_file.profile,
            data,
            self.secrets_path,
            self._spawn,
            self.cleanups.append,
            self.processes.append,
        )
        for kind in CONTROL_PLANE:
            self.members[kind] = [
                Member(kind, i, kind if self.control_plane_size == 1 else f"{kind}-{i}")
                for i in range(self.control_plane_size)
            ]
        for member in self.all_members():
            self.start_member(member, wait=False)
        for member in self.all_members():
            assert member.process is not None
            _wait_answers(
                f"http://{LOOPBACK}:{member.health_port}/healthz", member.name, [member.process]
            )

    def all_members(self) -> list[Member]:
        return [member for kind in CONTROL_PLANE for member in self.members[kind]]

    def start_member(self, member: Member, *, wait: bool = True) -> None:
        """Starts a placement or scheduler member, again after a kill as well."""
        argv = (
            self._placement_argv(member)
            if member.kind == "placement"
            else self._scheduler_argv(member)
        )
        member.process = self._spawn(member.name, argv, self.workdir)
        if wait:
            url = f"http://{LOOPBACK}:{member.health_port}/healthz"
            _wait_answers(url, member.name, [member.process])

    def start_app(
        self, spec: AppSpec, *, wait_ready_path: str | None = "/health/ready"
    ) -> RunningApp:
        """Starts one more replica of the app beside its own daprd."""
        replica = len(self.replicas.get(spec.app_id, []))
        tokens = sidecar_tokens(self.secrets_path, spec.app_id)
        name = spec.app_id if replica == 0 else f"{spec.app_id}-{replica}"
        app = self._spawn(name, self._app_argv(spec), spec.app_dir, self._app_env(spec, tokens))
        daprd = self._spawn(f"daprd-{name}", self._daprd_argv(spec), self.workdir, tokens)
        running = RunningApp(spec, replica, app, daprd, tokens)
        self.replicas.setdefault(spec.app_id, []).append(running)
        self.wait_ready(running, wait_ready_path)
        return running

    def start_replicas(
        self, spec: AppSpec, count: int, *, front_door_port: int | None = None
    ) -> list[RunningApp]:
        """`count` replicas of the app, each beside its own daprd; with a front door port, the
        replicas all take free ports and HAProxy listens on that one in front of them."""
        for n in range(count):
            moved = front_door_port is not None or n > 0
            self.start_app(spec.on_free_ports() if moved else spec)
        if front_door_port is not None:
            backends = [replica.spec.app_port for replica in self.replicas[spec.app_id]]
            folder = self.workdir / ".data" / f"front-door-{spec.app_id}"
            start_front_door(folder, front_door_port, backends, self._spawn)
            url = f"http://{LOOPBACK}:{front_door_port}"
            _wait_answers(f"{url}/health/ready", "front door", [])
            self.front_doors[spec.app_id] = url
        return self.replicas[spec.app_id]

    def url_of(self, app_id: str) -> str:
        """Where clients reach the app: its front door, or its only replica."""
        return self.front_doors.get(app_id) or self.apps[app_id].url

    def start_app_process(self, running: RunningApp, *, wait: bool = True) -> None:
        """Starts the app of a replica again, beside its sidecar."""
        spec = running.spec
        env = self._app_env(spec, running.tokens)
        running.app = self._spawn(running.name, self._app_argv(spec), spec.app_dir, env)
        if wait:
            self.wait_ready(running)

    def start_sidecar(self, running: RunningApp) -> None:
        """Starts the daprd of a replica again on the same ports and waits for it to answer."""
        argv = self._daprd_argv(running.spec)
        running.daprd = self._spawn(f"daprd-{running.name}", argv, self.workdir, running.tokens)
        self.wait_ready(running, ready_path=None)

    def wait_ready(self, running: RunningApp, ready_path: str | None = "/health/ready") -> None:
        # The app may be down on purpose while its sidecar comes back; then only daprd counts.
        watch = [process for process in (running.app, running.daprd) if process.running]
        _wait_answers(f"{running.dapr_url}/v1.0/healthz", running.daprd.name, watch)
        if ready_path is not None:
            _wait_answers(running.url + ready_path, running.name, watch)

    def stop(self) -> None:
        """Apps first, then their sidecars, then the control plane."""
        for process in reversed(self.processes):
            process.stop()
        for cleanup in self.cleanups:
            cleanup()

    def logs(self) -> dict[str, str]:
        """Each process's warnings and errors and last lines, for a failed test's report."""
        return {process.name: process.log_excerpt() for process in self.processes}

    def _spawn(
        self, name: str, argv: list[str], cwd: Path, env: dict[str, str] | None = None
    ) -> ManagedProcess:
        process = ManagedProcess(
            name, argv, self.log_dir / f"{name}.log", cwd, {**self.run_file.env, **(env or {})}
        )
        self.processes.append(process.start())
        return process

    def _placement_argv(self, member: Member) -> list[str]:
        peers = ",".join(
            f"dapr-placement-{peer.index}={LOOPBACK}:{peer.peer_port}"
            for peer in self.members["placement"]
        )
        return [
            str(self.bin_dir / "placement"),
            f"--id=dapr-placement-{member.index}",
            f"--listen-address={LOOPBACK}",
            f"--port={member.port}",
            f"--healthz-listen-address={LOOPBACK}",
            f"--healthz-port={member.health_port}",
            f"--metrics-listen-address={LOOPBACK}",
            f"--metrics-port={member.metrics_port}",
            f"--initial-cluster={peers}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _scheduler_argv(self, member: Member) -> list[str]:
        peers = ",".join(
            f"dapr-scheduler-server-{peer.index}=http://{LOOPBACK}:{peer.peer_port}"
            for peer in self.members["scheduler"]
        )
        data = (
            self.workdir / ".data" / (member.name if self.control_plane_size > 1 else "scheduler")
        )
        return [
            str(self.bin_dir / "scheduler"),
            f"--id=dapr-scheduler-server-{member.index}",
            f"--listen-address={LOOPBACK}",
            f"--port={member.port}",
            f"--healthz-listen-address={LOOPBACK}",
            f"--healthz-port={member.health_port}",
            f"--metrics-listen-address={LOOPBACK}",
            f"--metrics-port={member.metrics_port}",
            f"--etcd-data-dir={data}",
            f"--etcd-client-listen-address={LOOPBACK}",
            f"--etcd-client-port={member.client_port}",
            f"--etcd-initial-cluster={peers}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _daprd_argv(self, spec: AppSpec) -> list[str]:
        resources = [f"--resources-path={path}" for path in self.run_file.resources_paths]
        placements = ",".join(member.address for member in self.members["placement"])
        schedulers = ",".join(member.address for member in self.members["scheduler"])
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
            f"--placement-host-address={placements}",
            f"--scheduler-host-address={schedulers}",
            f"--config={self.run_file.config_path}",
            *resources,
            f"--log-level={self.run_file.log_level}",
            *(
                ["--enable-profiling", f"--profile-port={spec.profile_port}"]
                if spec.profile_port
                else []
            ),
        ]

    def _app_argv(self, spec: AppSpec) -> list[str]:
        # `python` means this interpreter, so the app runs in the project's environment.
        command = list(spec.command)
        if command[0] in ("python", "python3"):
            command[0] = sys.executable
        return command

    def _app_env(self, spec: AppSpec, tokens: dict[str, str]) -> dict[str, str]:
        return {
            **spec.env,
            "PYTHONUNBUFFERED": "1",
            "APP_ID": spec.app_id,
            "APP_PORT": str(spec.app_port),
            "DAPR_HTTP_PORT": str(spec.http_port),
            "DAPR_GRPC_PORT": str(spec.grpc_port),
            **tokens,
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
