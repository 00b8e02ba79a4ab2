"""The front door of a replicated `orders`: HAProxy (Debian's package) on the run file's app
port, spreading requests over the replicas and leaving out one whose readiness fails. A
request that could not reach a replica at all is sent to another (nothing was sent yet)."""

import shutil
from collections.abc import Callable
from pathlib import Path

from devstack.processes import ManagedProcess

LOOPBACK = "127.0.0.1"


def haproxy_config(port: int, backends: list[int], health_path: str) -> str:
    servers = "\n".join(
        f"  server replica-{n} {LOOPBACK}:{backend} check" for n, backend in enumerate(backends)
    )
    return f"""\
global
  maxconn 2000
  # Replicas leaving and rejoining show in the front door's log.
  log stdout format raw local0 notice

defaults
  mode http
  log global
  timeout connect 2s
  timeout client 130s
  timeout server 130s
  retries 3
  option redispatch
  retry-on conn-failure empty-response

frontend orders
  bind {LOOPBACK}:{port}
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk GET {health_path}
  http-check expect status 200
  default-server inter 1s fall 2 rise 1
{servers}
"""


Spawn = Callable[[str, list[str], Path], ManagedProcess]


def start_front_door(
    folder: Path, port: int, backends: list[int], spawn: Spawn, health_path: str = "/health/ready"
) -> ManagedProcess:
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        raise RuntimeError("haproxy is missing: run scripts/install-servers.sh (Debian's haproxy)")
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends, health_path))
    return spawn("front-door", [haproxy, "-db", "-f", str(config)], folder)
