"""The servers behind the non-embedded profiles, on free loopback ports in throwaway folders.

Where each one listens is written into the local secret store, so components reach it through
`secretKeyRef` like any password, and no port is written into a component file.
"""

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from devstack.configstore import prepare_postgres
from devstack.minio import start_minio
from devstack.processes import ManagedProcess, free_port, wait_until
from devstack.runfile import PROFILES
from devstack.runtime import PROJECT_ROOT
from devstack.testcontainer_servers import start_engine

SERVER_TIMEOUT = 60.0

Spawn = Callable[[str, list[str], Path, dict[str, str] | None], ManagedProcess]


def start_servers(
    profile: str,
    data_dir: Path,
    secrets_file: Path,
    spawn: Spawn,
    on_stop: Callable[[Callable[[], None]], None],
    adopt: Callable[[ManagedProcess], None] = lambda _: None,
) -> None:
    """Starts what `profile` needs (the embedded profile needs nothing); `on_stop` receives
    what to clean up after the servers stopped, `adopt` the handles of servers that run as
    containers (the stack lists them with the processes it spawned)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if profile == "embedded":
        return
    secrets = json.loads(secrets_file.read_text())
    secrets["notifications-url"] = _start_webhook_sink(data_dir / "notifications", spawn)
    # A host process on loopback whichever way Redis and PostgreSQL run: only daprd talks to it.
    secrets["images-endpoint"] = start_minio(
        data_dir / "minio", secrets["images-access-key"], secrets["images-secret-key"], spawn
    )
    # Containers through testcontainers where an engine can be had, else Debian's packages.
    if engine := start_engine(data_dir / "logs", on_stop):
        secrets["redis-host"] = engine.redis(secrets["redis-password"])
        if profile == "postgres":
            secrets["postgres-connection"] = engine.postgres(secrets["postgres-password"])
        for handle in engine.handles:
            adopt(handle)
    else:
        secrets["redis-host"] = _start_redis(data_dir / "redis", secrets["redis-password"], spawn)
        if profile == "postgres":
            secrets["postgres-connection"] = _start_postgres(
                _postgres_folder(on_stop), secrets["postgres-password"], spawn
            )
    if profile == "postgres":
        prepare_postgres(secrets["postgres-connection"])
    secrets_file.write_text(json.dumps(secrets, indent=2) + "\n")


def _start_webhook_sink(folder: Path, spawn: Spawn) -> str:
    port = free_port()
    argv = [sys.executable, "-m", "devstack.webhook_sink", str(port), str(folder)]
    process = spawn("webhook-sink", argv, PROJECT_ROOT, None)
    wait_until(lambda: _listens(port), what="webhook sink", timeout=SERVER_TIMEOUT, watch=[process])
    return f"http://127.0.0.1:{port}"


def _start_redis(folder: Path, password: str, spawn: Spawn) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = _require("redis-server")
    argv = [server, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder)]
    argv += ["--requirepass", password, "--save", "", "--appendonly", "no"]
    process = spawn("redis", argv, folder, None)
    wait_until(lambda: _listens(port), what="redis", timeout=SERVER_TIMEOUT, watch=[process])
    return f"127.0.0.1:{port}"


def _start_postgres(folder: Path, password: str, spawn: Spawn) -> str:
    """initdb and postgres refuse to run as root, so they run as the `postgres` user."""
    bin_dir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    data, sockets = folder / "data", folder / "sockets"
    as_postgres = _as_user("postgres") if os.geteuid() == 0 else []
    if not data.exists():
        folder.mkdir(parents=True, exist_ok=True)
        sockets.mkdir(exist_ok=True)
        password_file = folder / "password"
        password_file.write_text(password)
        if as_postgres:
            user = pwd.getpwnam("postgres")
            for path in (folder, sockets, password_file):
                os.chown(path, user.pw_uid, user.pw_gid)
        subprocess.run(
            [
                *as_postgres,
                str(bin_dir / "initdb"),
                "-D",
                str(data),
                "-U",
                "dapr",
                "-A",
                "scram-sha-256",
                f"--pwfile={password_file}",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
        )
        password_file.unlink()
    port = free_port()
    argv = [
        *as_postgres,
        str(bin_dir / "postgres"),
        "-D",
        str(data),
        "-p",
        str(port),
        "-k",
        str(sockets),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
    ]
    process = spawn("postgres", argv, folder, None)
    wait_until(lambda: _listens(port), what="postgres", timeout=SERVER_TIMEOUT, watch=[process])
    return f"host=127.0.0.1 port={port} user=dapr password={password} dbname=postgres"


def _postgres_folder(on_stop: Callable[[Callable[[], None]], None]) -> Path:
    """Outside the (often private) work folder: the `postgres` user must reach it."""
    folder = Path(tempfile.mkdtemp(prefix="dapr-commerce-postgres-"))
    on_stop(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


def _as_user(name: str) -> list[str]:
    # Changing user clears the parent-death signal; setpriv sets it again for the server.
    return [
        "setpriv",
        f"--reuid={name}",
        f"--regid={name}",
        "--init-groups",
        "--pdeathsig=KILL",
        "--",
    ]


def _require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise RuntimeError(f"{program} is missing: run scripts/install-servers.sh")
    return found


def _listens(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
