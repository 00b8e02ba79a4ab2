"""Redis and PostgreSQL for the process stack's profiles as containers, through testcontainers.

testcontainers speaks the Docker API: DOCKER_HOST names it when set (Docker, or any engine
that serves that API); otherwise podman serves it on a socket of the stack's own
(`podman system service`). The images are the ones made from Debian packages
(scripts/containers/debian-image.sh); DAPR_REDIS_IMAGE / DAPR_POSTGRES_IMAGE name others, such
as the public `redis:7-bookworm` and `postgres:15-bookworm` where a registry is reachable.
Ports are published on 127.0.0.1 only. Ryuk, testcontainers' reaper, is an image from a
registry, so it is off; the stack removes its containers when it stops, and the next stack
removes what a killed run left (by the owner label). Each server also gets a `Container` handle
(`handles`), so the stack lists it among its processes and the fault controls can freeze it.
With no engine `start_engine` answers None, says why in one line, and the caller starts the
Debian-package servers instead.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testcontainers.core.config import ConnectionMode, testcontainers_config
from testcontainers.core.container import DockerContainer
from testcontainers.core.wait_strategies import (
    ExecWaitStrategy,
    LogMessageWaitStrategy,
    WaitStrategy,
)

from devstack.engine import (
    CONTAINERS_CONF,
    LABEL_OWNER,
    Container,
    EngineError,
    engine,
    engine_name,
    sweep_leftovers,
)
from devstack.images import SERVER_IMAGES
from devstack.processes import ManagedProcess, wait_until
from devstack.runtime import PROJECT_ROOT

SERVICE_TIMEOUT = 30.0
SERVER_TIMEOUT = 60


@dataclass
class EngineServers:
    """Starts the servers as containers; `stop` removes them, then stops the API service."""

    service: ManagedProcess | None
    docker_host: str | None
    log_dir: Path
    containers: list[DockerContainer] = field(default_factory=list)
    handles: list[Container] = field(default_factory=list)

    def redis(self, password: str) -> str:
        command = ["redis-server", "--bind", "0.0.0.0", "--requirepass", password]
        command += ["--save", "", "--appendonly", "no"]
        ready = LogMessageWaitStrategy("Ready to accept connections")
        port = self._start("redis", 6379, ready, command=command)
        return f"127.0.0.1:{port}"

    def postgres(self, password: str) -> str:
        env = {"POSTGRES_USER": "dapr", "POSTGRES_PASSWORD": password}
        # Over TCP inside the container: the public image's first start runs a server on its
        # socket only while it sets up, and logs "ready" for that one too.
        ready = ExecWaitStrategy(["pg_isready", "--host=127.0.0.1", "--username=dapr"])
        port = self._start("postgres", 5432, ready, env=env)
        return f"host=127.0.0.1 port={port} user=dapr password={password} dbname=postgres"

    def stop(self) -> None:
        for container in self.containers:
            container.stop()
        if self.service is not None:
            self.service.stop()
            shutil.rmtree(Path(self.service.argv[-1].removeprefix("unix://")).parent)

    def _start(
        self,
        name: str,
        port: int,
        ready: WaitStrategy,
        *,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
    ) -> int:
        client = {"environment": {"DOCKER_HOST": self.docker_host}} if self.docker_host else None
        container = DockerContainer(_image(name), client, env=env)
        if command:
            container.with_command(command)
        ports: dict[str, Any] = container.ports
        ports[f"{port}/tcp"] = ("127.0.0.1", None)  # a free port, on loopback only
        container.with_kwargs(labels={LABEL_OWNER: str(os.getpid())}, init=True)
        container.waiting_for(ready.with_startup_timeout(SERVER_TIMEOUT))
        self.containers.append(container.start())
        self.handles.append(self._handle(name, container))
        return container.get_exposed_port(port)

    def _handle(self, name: str, container: DockerContainer) -> Container:
        """The engine's command line view of a started server, named as the process stack
        names it (with DOCKER_HOST naming another engine, CONTAINER_ENGINE=docker drives it)."""
        wrapped = container.get_wrapped_container()
        handle = Container(name, [], self.log_dir / f"{name}.log", PROJECT_ROOT, {})
        handle.container = wrapped.name
        handle.pid = int(wrapped.attrs.get("State", {}).get("Pid") or 0)
        return handle


def start_engine(
    log_dir: Path, on_stop: Callable[[Callable[[], None]], None]
) -> EngineServers | None:
    """An engine testcontainers can use, or None (and one line on stderr saying why)."""
    testcontainers_config.ryuk_disabled = True
    # This machine may look like a container (/.dockerenv): still reach servers by their
    # published ports on this host's loopback.
    testcontainers_config.connection_mode_override = ConnectionMode.docker_host
    testcontainers_config.tc_host_override = "127.0.0.1"
    if _docker_api_given():
        for name in ("redis", "postgres"):
            _build_image(name, "docker")
        servers = EngineServers(service=None, docker_host=None, log_dir=log_dir)
    elif (why := _podman_missing()) is not None:
        sys.stderr.write(
            f"no container engine ({why}): Redis and PostgreSQL from Debian packages\n"
        )
        return None
    else:
        sweep_leftovers()
        for name in ("redis", "postgres"):
            _build_image(name, "podman")
        service, docker_host = _start_podman_service(log_dir)
        servers = EngineServers(service, docker_host, log_dir)
    on_stop(servers.stop)
    return servers


def servers_line() -> str:
    """Which servers the redis and postgres profiles of the process stack get, in words."""
    if _docker_api_given():
        where = os.environ.get("DOCKER_HOST", "Docker's default socket")
        return f"containers through testcontainers at {where}"
    if (why := _podman_missing()) is not None:
        return f"Debian packages (no container engine: {why})"
    return "containers through testcontainers on podman"


def _docker_api_given() -> bool:
    """DOCKER_HOST names an engine, or CONTAINER_ENGINE=docker asks for Docker's own."""
    return bool(os.environ.get("DOCKER_HOST")) or engine_name() == "docker"


def _podman_missing() -> str | None:
    """Why podman cannot serve, or None when it can."""
    if shutil.which("podman") is None:
        return "podman is missing: run `make containers`"
    try:
        engine("info", "--format={{.Host.OCIRuntime.Name}}", timeout=30)
    except EngineError as error:
        return str(error)
    return None


def _start_podman_service(log_dir: Path) -> tuple[ManagedProcess, str]:
    """podman's Docker-compatible API on a socket of its own, for as long as the stack runs."""
    socket = Path(tempfile.mkdtemp(prefix="dapr-commerce-engine-")) / "podman.sock"
    conf = os.environ.get("CONTAINERS_CONF", str(CONTAINERS_CONF))
    service = ManagedProcess(
        "podman-service",
        ["podman", "system", "service", "--time=0", f"unix://{socket}"],
        log_dir / "podman-service.log",
        PROJECT_ROOT,
        {"CONTAINERS_CONF": conf},
    ).start()
    wait_until(socket.exists, what="podman's API socket", timeout=SERVICE_TIMEOUT, watch=[service])
    return service, f"unix://{socket}"


def _build_image(name: str, engine: str) -> None:
    """The Debian-package image, made once and then found in the engine's store (the docker
    command line builds for whatever DOCKER_HOST names)."""
    if not os.environ.get(f"DAPR_{name.upper()}_IMAGE"):
        script = PROJECT_ROOT / "scripts" / "containers" / "debian-image.sh"
        env = {**os.environ, "CONTAINER_ENGINE": engine}
        subprocess.run(["bash", str(script), name], check=True, env=env)


def _image(name: str) -> str:
    return os.environ.get(f"DAPR_{name.upper()}_IMAGE", SERVER_IMAGES[name])
