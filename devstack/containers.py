"""The same stack as containers: the control plane's members and one pod per app replica, on a
network of its own (podman's pods; with CONTAINER_ENGINE=docker, a pause container per pod,
devstack/pods.py).

As on Kubernetes, each app and its daprd share a pod, so they reach each other on 127.0.0.1;
sidecars, placement and scheduler reach one another across the stack's network (a bridge the
stack creates and removes), the sidecars by pod address (DAPR_HOST_IP, recorded in the SQLite
name resolver), the control plane by container name. Ports are published on 127.0.0.1 only,
each on the same number inside its container or pod, so `RunningApp`, `Member` and the front
door (HAProxy on the host, as with processes) read the same as for processes.

Components and the Configuration are mounted read-only; the stack's `.data` (SQLite files, the
secrets file, the scheduler's etcd) is one bind mount that every daprd, placement and scheduler
share, handed to their unprivileged user (podman's `:U`; with Docker, a chown when root, else
they run as the caller), so the test harness still reads it from the host.

The fault controls work unchanged: every handle is a `Container`, whose kill is the engine's
SIGKILL; starting an app or a sidecar again starts the same container in its pod (which keeps
the pod's address), and a member is started again as a new container on the same data, IP and
MAC.
"""

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from devstack.container_servers import start_container_servers
from devstack.engine import (
    LABEL_OWNER,
    LABEL_STACK,
    Container,
    address_on,
    engine,
    is_podman,
    require_engine,
    sweep_leftovers,
)
from devstack.images import APP_IMAGE, dapr_image, ensure_images
from devstack.pods import create_pod, in_pod, pod_address, remove_pods
from devstack.processes import ManagedProcess, wait_until
from devstack.runfile import AppSpec
from devstack.secrets import ensure_local_secrets, sidecar_tokens
from devstack.stack import CONTROL_PLANE, Member, RunningApp, Stack

STARTUP_TIMEOUT = 90.0
DAPR_DIR = "/dapr"
DAPR_USER = 65532  # of the daprd, placement and scheduler images
HARDENED = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges"]


@dataclass
class ContainerStack(Stack):
    name: str = field(default_factory=lambda: f"dapr-commerce-{secrets.token_hex(4)}")
    pods: list[str] = field(default_factory=list)
    # Each member's first address (IP and MAC), kept when it is started again: daprd's gRPC
    # connections resolve names again only every 30 s or so, and a new MAC behind the old IP is
    # unreachable until the neighbours' ARP entries expire.
    addresses: dict[str, list[str]] = field(default_factory=dict)

    def start_control_plane(self) -> None:
        require_engine()
        ensure_images()
        sweep_leftovers()
        data = self.workdir / ".data"
        data.mkdir(parents=True, exist_ok=True)
        ensure_local_secrets(self.secrets_path)
        if not is_podman() and os.geteuid() == 0:
            _chown_tree(data, DAPR_USER)
        engine("network", "create", *self._labels(), self.name)
        start_container_servers(
            self.run_file.profile, self.name, self.secrets_path, self._data_access(), self._run
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
            _wait_answers(_health_url(member), member.name, [_container(member.process)])

    def start_member(self, member: Member, *, wait: bool = True) -> None:
        """Starts a placement or scheduler member, again after a kill as well: a new container
        on the same data, with the address and MAC of the first."""
        argv = (
            self._placement_argv(member)
            if member.kind == "placement"
            else self._scheduler_argv(member)
        )
        if member.process in self.processes:
            self.processes.remove(member.process)
        container = self._run(member.name, [*self.addresses.get(member.name, []), *argv])
        if member.name not in self.addresses:
            ip, mac = (
                address_on(container.container, self.name, kind)
                for kind in ("IPAddress", "MacAddress")
            )
            # The docker command line sets a MAC per network only from API 1.44 on.
            same_mac = [f"--mac-address={mac}"] if is_podman() else []
            self.addresses[member.name] = [f"--ip={ip}", *same_mac]
        member.process = container
        if wait:
            _wait_answers(_health_url(member), member.name, [container])

    def start_app(
        self, spec: AppSpec, *, wait_ready_path: str | None = "/health/ready"
    ) -> RunningApp:
        """One more replica of the app: a pod of its own with the app and its daprd."""
        replica = len(self.replicas.get(spec.app_id, []))
        tokens = sidecar_tokens(self.secrets_path, spec.app_id)
        name = spec.app_id if replica == 0 else f"{spec.app_id}-{replica}"
        pod = f"{self.name}-{name}-pod"
        ports = (spec.app_port, spec.http_port, spec.grpc_port, spec.metrics_port)
        create_pod(pod, self.name, self._labels(), ports)
        self.pods.append(pod)
        app_env = {**self.run_file.env, **self._app_env(spec, tokens)}
        app = self._run(name, self._app_run_argv(spec, pod), app_env)
        sidecar_env = {**self.run_file.env, **tokens, "DAPR_HOST_IP": pod_address(pod, self.name)}
        daprd = self._run(f"daprd-{name}", self._daprd_run_argv(spec, pod), sidecar_env)
        running = RunningApp(spec, replica, app, daprd, tokens)
        self.replicas.setdefault(spec.app_id, []).append(running)
        self.wait_ready(running, wait_ready_path)
        return running

    def start_app_process(self, running: RunningApp, *, wait: bool = True) -> None:
        """Starts the replica's app container again, in its pod beside the sidecar."""
        _container(running.app).restart()
        if wait:
            self.wait_ready(running)

    def start_sidecar(self, running: RunningApp) -> None:
        """Starts the replica's daprd container again, on the same ports and pod address."""
        _container(running.daprd).restart()
        self.wait_ready(running, ready_path=None)

    def stop(self) -> None:
        """The apps first (a clean stop), then every container, the pods, the network, and what
        ran on the host (a front door)."""
        apps = [_container(running.app).container for running in self._all_replicas()]
        if apps:
            engine("stop", "--time=10", *apps, check=False, timeout=60)
        containers = [p.container for p in self.processes if isinstance(p, Container)]
        if containers:
            engine("rm", "--force", *containers, check=False, timeout=60)
        remove_pods(self.pods)
        engine("network", "rm", "--force", self.name, check=False)
        for process in self.processes:
            if not isinstance(process, Container):
                process.stop()
        for cleanup in self.cleanups:
            cleanup()

    def _all_replicas(self) -> list[RunningApp]:
        return [running for replicas in self.replicas.values() for running in replicas]

    def _run(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> Container:
        container = Container(
            name,
            [*self._labels(), *argv],
            self.log_dir / f"{name}.log",
            self.workdir,
            env or {},
            container=f"{self.name}-{name}",
        )
        self.processes.append(container.start())
        return container

    def _labels(self) -> list[str]:
        return [f"--label={LABEL_STACK}={self.name}", f"--label={LABEL_OWNER}={os.getpid()}"]

    def _data_access(self) -> list[str]:
        """The shared `.data` mount, and whom it belongs to inside the containers."""
        volume = f"--volume={self.workdir / '.data'}:{DAPR_DIR}/.data"
        if is_podman():
            return [f"{volume}:U"]
        as_caller = [] if os.geteuid() == 0 else [f"--user={os.geteuid()}:{os.getegid()}"]
        return [volume, *as_caller]

    def _member_host(self, member: Member) -> str:
        """Where the others reach a member: its container's name on the stack's network."""
        return f"{self.name}-{member.name}"

    def _member_run_argv(self, member: Member) -> list[str]:
        """The network, and the health and metrics ports on 127.0.0.1 for the waits and the
        fault controls (placement_leader reads the metrics)."""
        published = (member.health_port, member.metrics_port)
        return [
            f"--network={self.name}",
            *[f"--publish=127.0.0.1:{port}:{port}" for port in published],
            *HARDENED,
        ]

    def _placement_argv(self, member: Member) -> list[str]:
        peers = ",".join(
            f"dapr-placement-{peer.index}={self._member_host(peer)}:{peer.peer_port}"
            for peer in self.members["placement"]
        )
        return [
            *self._member_run_argv(member),
            dapr_image("placement"),
            f"--id=dapr-placement-{member.index}",
            f"--port={member.port}",
            f"--healthz-port={member.health_port}",
            f"--metrics-port={member.metrics_port}",
            f"--initial-cluster={peers}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _scheduler_argv(self, member: Member) -> list[str]:
        peers = ",".join(
            f"dapr-scheduler-server-{peer.index}=http://{self._member_host(peer)}:{peer.peer_port}"
            for peer in self.members["scheduler"]
        )
        data = member.name if self.control_plane_size > 1 else "scheduler"
        return [
            *self._member_run_argv(member),
            *self._data_access(),
            dapr_image("scheduler"),
            f"--id=dapr-scheduler-server-{member.index}",
            f"--port={member.port}",
            f"--healthz-port={member.health_port}",
            f"--metrics-port={member.metrics_port}",
            f"--etcd-data-dir={DAPR_DIR}/.data/{data}",
            f"--etcd-client-port={member.client_port}",
            f"--etcd-initial-cluster={peers}",
            # What it tells daprd to dial: its name on the stack's network.
            f"--override-broadcast-host-port={self._member_host(member)}:{member.port}",
            f"--log-level={self.run_file.log_level}",
        ]

    def _app_run_argv(self, spec: AppSpec, pod: str) -> list[str]:
        return [*in_pod(pod), *HARDENED, "--init", APP_IMAGE, *spec.command]

    def _daprd_run_argv(self, spec: AppSpec, pod: str) -> list[str]:
        mounts = [
            *self._data_access(),
            f"--volume={self.run_file.config_path}:{DAPR_DIR}/config.yaml:ro",
        ]
        resources: list[str] = []
        for index, path in enumerate(self.run_file.resources_paths):
            mounts.append(f"--volume={path}:{DAPR_DIR}/resources/{index}:ro")
            resources.append(f"--resources-path={DAPR_DIR}/resources/{index}")
        placements = ",".join(
            f"{self._member_host(member)}:{member.port}" for member in self.members["placement"]
        )
        schedulers = ",".join(
            f"{self._member_host(member)}:{member.port}" for member in self.members["scheduler"]
        )
        return [
            *in_pod(pod),
            *HARDENED,
            *mounts,
            f"--workdir={DAPR_DIR}",
            dapr_image("daprd"),
            f"--app-id={spec.app_id}",
            f"--app-port={spec.app_port}",
            "--app-protocol=http",
            "--app-channel-address=127.0.0.1",
            # Every address of the pod: its published ports reach it through the pod's address.
            "--dapr-listen-addresses=0.0.0.0",
            f"--dapr-http-port={spec.http_port}",
            f"--dapr-grpc-port={spec.grpc_port}",
            f"--dapr-internal-grpc-port={_internal_grpc_port(spec)}",
            f"--metrics-port={spec.metrics_port}",
            f"--placement-host-address={placements}",
            f"--scheduler-host-address={schedulers}",
            f"--config={DAPR_DIR}/config.yaml",
            *resources,
            f"--log-level={self.run_file.log_level}",
        ]


def _internal_grpc_port(spec: AppSpec) -> int:
    """Dapr's usual 50002 for sidecar-to-sidecar calls, unless the app's own ports take it
    (each pod has its own network namespace, so replicas may all use it)."""
    taken = {spec.app_port, spec.http_port, spec.grpc_port, spec.metrics_port}
    return next(port for port in range(50002, 50100) if port not in taken)


def _health_url(member: Member) -> str:
    return f"http://127.0.0.1:{member.health_port}/healthz"


def _chown_tree(root: Path, uid: int) -> None:
    for path in [root, *root.rglob("*")]:
        os.chown(path, uid, uid, follow_symlinks=False)


def _container(process: ManagedProcess) -> Container:
    assert isinstance(process, Container)
    return process


def _wait_answers(url: str, name: str, watch: list[Container]) -> None:
    def answers() -> bool:
        try:
            return httpx.get(url, timeout=2.0).is_success
        except httpx.HTTPError:
            return False

    wait_until(answers, what=f"{name} to answer {url}", timeout=STARTUP_TIMEOUT, watch=watch)
