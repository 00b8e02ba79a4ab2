"""The container engine's command line (podman, or Docker's with CONTAINER_ENGINE=docker), and
a container as a managed process.

Every call goes through `engine()`, with the project's containers.conf for podman unless
CONTAINERS_CONF names another, so a missing engine or a refused command fails with one line
that says why.
"""

import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devstack.processes import ManagedProcess
from devstack.runtime import PROJECT_ROOT

ENGINES = ("podman", "docker")
CONTAINERS_CONF = PROJECT_ROOT / "scripts" / "containers" / "containers.conf"
# Every container, pod and network a stack makes carries these, so leftovers can be found.
LABEL_STACK = "org.dapr-commerce.stack"
LABEL_OWNER = "org.dapr-commerce.owner-pid"


class EngineError(RuntimeError):
    pass


def engine_name() -> str:
    name = os.environ.get("CONTAINER_ENGINE", "podman")
    if name not in ENGINES:
        raise EngineError(f"CONTAINER_ENGINE={name!r}: choose podman or docker")
    return name


def is_podman() -> bool:
    return engine_name() == "podman"


def require_engine() -> None:
    if shutil.which(engine_name()) is None:
        raise EngineError(
            "docker is missing: install Docker, or use podman (`make containers`)"
            if engine_name() == "docker"
            else "podman is missing: run `make containers` (Debian packages podman, runc)"
        )


def engine(
    *args: str, check: bool = True, timeout: float = 120.0, env: Mapping[str, str] | None = None
) -> str:
    """Runs `podman ARGS` (or `docker ARGS`) and returns its standard output, stripped; `env` is
    added to its environment (a container's `--env=NAME` takes the value from there)."""
    conf = os.environ.get("CONTAINERS_CONF", str(CONTAINERS_CONF))
    env = {**os.environ, "CONTAINERS_CONF": conf, **(env or {})}
    done = subprocess.run(
        [engine_name(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and done.returncode != 0:
        reason = done.stderr.strip().splitlines()[-1:] or [f"exit status {done.returncode}"]
        raise EngineError(f"{engine_name()} {' '.join(args[:2])} failed: {reason[0]}")
    return done.stdout.strip()


@dataclass
class Container(ManagedProcess):
    """A container the engine runs detached: `argv` is what follows `podman run`, `name` the
    short name of its log, `container` the engine's name for it, `env` its environment (kept
    out of the command line). Its output goes to `log_path`: podman writes it there itself
    (`<time> <stream> <F|P> <text>` per line); with Docker, `docker logs --follow` copies it."""

    container: str = ""
    pid: int = 0
    follower: ManagedProcess | None = field(default=None, repr=False)

    def start(self) -> "Container":
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        engine("rm", "--force", self.container, check=False)
        logging = ["--log-driver=k8s-file", f"--log-opt=path={self.log_path}"]
        names = [f"--env={name}" for name in self.env]
        run = ["run", "--detach", f"--name={self.container}", *(logging if is_podman() else [])]
        engine(*run, *names, *self.argv, env=self.env)
        self._started()
        return self

    def restart(self) -> None:
        """Starts the same container again (after a kill), with the same settings and name."""
        since = datetime.now(UTC).isoformat(timespec="seconds")
        engine("start", self.container)
        self._started(since)

    @property
    def running(self) -> bool:
        """Its main process lives: a look at the process table first (the launcher and the
        waits ask often), the engine only when that says no."""
        if _alive(self.pid):
            return True
        state = engine("inspect", "--format={{.State.Running}}", self.container, check=False)
        return state == "true"

    def stop(self, timeout: float = 10.0) -> None:
        engine("stop", f"--time={int(timeout)}", self.container, check=False, timeout=timeout + 30)

    def kill(self) -> None:
        """SIGKILL, as a crash would; returns once the engine reports it stopped."""
        engine("kill", self.container, check=False)
        deadline = time.monotonic() + 10.0
        while self.running and time.monotonic() < deadline:
            time.sleep(0.1)

    def freeze(self) -> None:
        """Pauses all its processes (the cgroup freezer): they keep their connections and data
        but answer nothing, as SIGSTOP does to a process group."""
        engine("pause", self.container)

    def thaw(self) -> None:
        engine("unpause", self.container)

    def log_lines(self) -> list[str]:
        lines = super().log_lines()
        return [_text_of(line) for line in lines] if is_podman() else lines

    def _started(self, since: str | None = None) -> None:
        self.pid = int(engine("inspect", "--format={{.State.Pid}}", self.container) or 0)
        if not is_podman():
            follow = ["docker", "logs", "--follow", *([f"--since={since}"] if since else [])]
            self.follower = ManagedProcess(
                f"{self.name}-log", [*follow, self.container], self.log_path, self.cwd, {}
            ).start()


def address_on(container: str, network: str, kind: str = "IPAddress") -> str:
    """The container's address on `network` (empty while it is stopped); `kind="MacAddress"`
    for its hardware address."""
    fmt = f'{{{{(index .NetworkSettings.Networks "{network}").{kind}}}}}'
    return engine("inspect", f"--format={fmt}", container)


def sweep_leftovers() -> None:
    """Removes the pods, containers and networks of stacks whose process died without stopping
    them (a killed test run)."""
    listings = {
        ("pod", "rm"): ["pod", "ps"],
        ("rm",): ["ps", "--all"],
        ("network", "rm"): ["network", "ls"],
    }
    for remove, listing in listings.items():
        if remove[0] == "pod" and not is_podman():
            continue
        found = engine(*listing, "--format=json", f"--filter=label={LABEL_OWNER}")
        for item in _json_items(found):
            labels = _labels(item.get("Labels", item.get("labels")))
            if not _alive(int(labels.get(LABEL_OWNER, "0"))):
                name = item.get("Names", item.get("Name", item.get("name")))
                engine(
                    *remove,
                    "--force",
                    str(name[0] if isinstance(name, list) else name),
                    check=False,
                )


def _json_items(output: str) -> list[dict[str, Any]]:
    """podman prints one JSON list; docker one JSON object per line."""
    if output.startswith("["):
        items: list[dict[str, Any]] = json.loads(output)
        return items
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def _labels(raw: object) -> dict[str, str]:
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    pairs = (pair.partition("=") for pair in str(raw or "").split(",") if pair)
    return {key: value for key, _, value in pairs}


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _text_of(line: str) -> str:
    parts = line.split(" ", 3)
    return parts[3] if len(parts) == 4 and parts[2] in ("F", "P") else line
