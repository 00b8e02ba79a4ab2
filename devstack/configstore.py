"""The configuration stores of the redis and postgres profiles, from outside the stack, as an
operator reaches them: `redis-cli` and `psql` on where the local secret store says each
server listens (the stack's servers publish their ports on 127.0.0.1). The postgres profile's
store also needs its table and trigger before any sidecar starts (`prepare_postgres`)."""

import os
import shutil
import subprocess
import time
from pathlib import Path

from devstack.runtime import PROJECT_ROOT

CONFIGURATION_SQL = PROJECT_ROOT / "scripts" / "postgres" / "configuration.sql"
CLIENT_TIMEOUT = 30.0


def prepare_postgres(connection: str, timeout: float = 60.0) -> None:
    """Creates the configuration table and its change trigger (idempotent), waiting for a
    server that listens but does not take connections yet."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            psql(connection, file=CONFIGURATION_SQL)
            return
        except subprocess.CalledProcessError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"could not prepare PostgreSQL: {error.stderr.strip()}"
                ) from error
            time.sleep(0.2)


def psql(connection: str, *, sql: str | None = None, file: Path | None = None) -> str:
    """Runs SQL with the connection string the components use (`host=... password=...`);
    the password goes through the environment, not the command line."""
    fields = dict(part.split("=", 1) for part in connection.split())
    env = {**os.environ, "PGPASSWORD": fields.pop("password", ""), "PGCONNECT_TIMEOUT": "5"}
    conninfo = " ".join(f"{key}={value}" for key, value in fields.items())
    argv = [_require("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo]
    argv += ["-f", str(file)] if file is not None else ["-c", sql or ""]
    done = subprocess.run(
        argv, env=env, check=True, capture_output=True, text=True, timeout=CLIENT_TIMEOUT
    )
    return done.stdout


def redis_cli(host: str, password: str, *command: str) -> str:
    """One Redis command against `host` (`127.0.0.1:port`); the password through REDISCLI_AUTH."""
    address, port = host.rsplit(":", 1)
    argv = [_require("redis-cli"), "-h", address, "-p", port, *command]
    env = {**os.environ, "REDISCLI_AUTH": password}
    done = subprocess.run(
        argv, env=env, check=True, capture_output=True, text=True, timeout=CLIENT_TIMEOUT
    )
    return done.stdout.strip()


def _require(program: str) -> str:
    found = shutil.which(program)
    if found is None:
        raise RuntimeError(f"{program} is missing: run `make servers` (scripts/install-servers.sh)")
    return found
