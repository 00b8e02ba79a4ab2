"""The servers of the redis and postgres profiles for the container stack: containers on its
network, from the images made of Debian packages, plus the webhook receiver the notifications
binding posts to and MinIO for the images binding. Where each listens goes into the local
secret store, as with processes."""

import json
import socket
from collections.abc import Callable
from pathlib import Path

from devstack.configstore import prepare_postgres
from devstack.engine import Container
from devstack.images import PYTHON_IMAGE, SERVER_IMAGES
from devstack.minio import BUCKET, ensure_minio, make_bucket, server_args, server_env
from devstack.processes import free_port, wait_until
from devstack.runtime import PROJECT_ROOT

SERVER_TIMEOUT = 60.0
NO_PRIVILEGES = ["--cap-drop=ALL", "--security-opt=no-new-privileges"]

# Runs a container of the stack: (short name, `podman run` arguments, environment).
Run = Callable[[str, list[str], dict[str, str] | None], Container]


def start_container_servers(
    profile: str, network: str, secrets_file: Path, data_access: list[str], run: Run
) -> None:
    """Starts what `profile` needs (nothing for embedded). Each server's port is also published
    on 127.0.0.1, to wait for it and for a developer's client."""
    if profile == "embedded":
        return
    secrets = json.loads(secrets_file.read_text())
    sink = [f"--volume={PROJECT_ROOT / 'devstack' / 'webhook_sink.py'}:/sink/webhook_sink.py:ro"]
    sink += ["--user=65532:65532", "--read-only", "--init", *data_access, PYTHON_IMAGE]
    sink += ["python3", "/sink/webhook_sink.py", "8080", "/dapr/.data/notifications", "0.0.0.0"]
    sink_address, _ = _start("webhook-sink", 8080, sink, network, run)
    secrets["notifications-url"] = f"http://{sink_address}"
    secrets["images-endpoint"] = _start_minio(secrets, network, data_access, run)
    redis = ["--read-only", SERVER_IMAGES["redis"], "redis-server", "--bind", "0.0.0.0"]
    redis += ["--requirepass", secrets["redis-password"], "--save", "", "--appendonly", "no"]
    secrets["redis-host"], _ = _start("redis", 6379, redis, network, run)
    if profile == "postgres":
        env = {"POSTGRES_USER": "dapr", "POSTGRES_PASSWORD": secrets["postgres-password"]}
        address, published = _start(
            "postgres", 5432, [SERVER_IMAGES["postgres"]], network, run, env
        )
        host, port = address.split(":")
        login = f"user=dapr password={env['POSTGRES_PASSWORD']} dbname=postgres"
        secrets["postgres-connection"] = f"host={host} port={port} {login}"
        prepare_postgres(f"host=127.0.0.1 port={published} {login}")
    secrets_file.write_text(json.dumps(secrets, indent=2) + "\n")


def _start_minio(secrets: dict[str, str], network: str, data_access: list[str], run: Run) -> str:
    """The static binary the process stack runs, in the Debian-based Python image (no MinIO
    image can be pulled here), its data in the stack's `.data`."""
    binary = ensure_minio().resolve()
    argv = [f"--volume={binary}:/usr/local/bin/minio:ro", "--user=65532:65532", "--read-only"]
    argv += [*data_access, PYTHON_IMAGE, "minio"]
    folder = "/dapr/.data/minio"
    argv += server_args(folder, ":9000", ":9001")
    keys = secrets["images-access-key"], secrets["images-secret-key"]
    published = free_port()
    address, _ = _start("minio", 9000, argv, network, run, server_env(folder, *keys), published)
    endpoint = f"http://127.0.0.1:{published}"
    wait_until(
        lambda: make_bucket(endpoint, BUCKET, *keys), what="minio's bucket", timeout=SERVER_TIMEOUT
    )
    return f"http://{address}"


def _start(
    name: str,
    port: int,
    argv: list[str],
    network: str,
    run: Run,
    env: dict[str, str] | None = None,
    published: int | None = None,
) -> tuple[str, int]:
    """Runs the server; answers where the stack's containers reach it (`name:port`) and the
    port it is published on at 127.0.0.1."""
    published = published or free_port()
    container = run(
        name,
        [f"--network={network}", f"--publish=127.0.0.1:{published}:{port}", *NO_PRIVILEGES, *argv],
        env,
    )
    wait_until(lambda: _listens(published), what=name, timeout=SERVER_TIMEOUT, watch=[container])
    return f"{container.container}:{port}", published


def _listens(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
