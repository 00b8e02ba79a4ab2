"""Setting feature flags where the running stack's profile keeps them, as an operator would:
`redis-cli SET` (redis), an SQL upsert (postgres), the orders sidecar's state API (embedded,
which has no configuration store; keys prefixed `flags.`)."""

import json
from typing import Protocol

import httpx

from app.flag_sources import STATE_PREFIX
from devstack.configstore import psql, redis_cli
from devstack.stack import Stack


class FlagStore(Protocol):
    # Whether changing a flag needs the orders sidecar (so not while it is down).
    through_sidecar: bool

    def set(self, key: str, text: str) -> None: ...

    def delete(self, key: str) -> None: ...


class RedisFlags:
    through_sidecar = False

    def __init__(self, host: str, password: str) -> None:
        self._host, self._password = host, password

    def set(self, key: str, text: str) -> None:
        assert redis_cli(self._host, self._password, "SET", key, text) == "OK"

    def delete(self, key: str) -> None:
        redis_cli(self._host, self._password, "DEL", key)


class PostgresFlags:
    through_sidecar = False

    def __init__(self, connection: str) -> None:
        self._connection = connection

    def set(self, key: str, text: str) -> None:
        row = f"{_literal(key)}, {_literal(text)}"
        upsert = "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        psql(
            self._connection, sql=f"INSERT INTO configuration (key, value) VALUES ({row}) {upsert}"
        )

    def delete(self, key: str) -> None:
        psql(self._connection, sql=f"DELETE FROM configuration WHERE key = {_literal(key)}")


class StateFlags:
    through_sidecar = True

    def __init__(self, sidecar: httpx.Client) -> None:
        self._sidecar = sidecar

    def set(self, key: str, text: str) -> None:
        body = [{"key": STATE_PREFIX + key, "value": text}]
        response = self._sidecar.post("/v1.0/state/statestore", json=body)
        assert response.status_code == 204, response.text

    def delete(self, key: str) -> None:
        response = self._sidecar.delete(f"/v1.0/state/statestore/{STATE_PREFIX}{key}")
        assert response.status_code == 204, response.text


def flag_store(stack: Stack, sidecar: httpx.Client) -> FlagStore:
    """The store of the stack's profile, reached where the local secret store says."""
    secrets = json.loads(stack.secrets_path.read_text())
    if stack.run_file.profile == "redis":
        return RedisFlags(secrets["redis-host"], secrets["redis-password"])
    if stack.run_file.profile == "postgres":
        return PostgresFlags(secrets["postgres-connection"])
    return StateFlags(sidecar)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
