"""An actor whose state store refuses its save: the client hears 503 with Retry-After, and the
same request lands once the store takes writes again (issue #24).

Redis out of memory is the failure here: with `maxmemory` below what it holds, it refuses
every write script of daprd's transaction when it is queued, so the transaction fails as a
whole, as it does when Redis is read-only or unreachable. daprd retries per the `state`
policy, then answers the actor's save with a 500."""

import json
import os
import subprocess
import uuid
from collections.abc import Iterator

import pytest

from devstack.stack import Stack
from tests.support.api import orders_client
from tests.support.catalog import new_item
from tests.support.stacks import ORDERS_ENV, own_stack

pytestmark = pytest.mark.skipif(
    os.environ.get("DAPR_PROFILE", "embedded") != "redis",
    reason="fails the store on demand with Redis's maxmemory; tests/api covers the 503 anywhere",
)


@pytest.fixture(scope="module")
def redis_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Its own stack: while its Redis refuses writes, no other test's work is in flight."""
    with own_stack(request, tmp_path_factory, "store-failure", ORDERS_ENV) as stack:
        yield stack


def test_an_actor_whose_store_refuses_its_save_answers_503_and_the_retry_lands(
    redis_stack: Stack,
) -> None:
    with orders_client(redis_stack.apps["orders"]) as api:
        sku = new_item(api, stock=1)["sku"]
        url, headers = f"/api/v1/items/{sku}/restock", {"Idempotency-Key": uuid.uuid4().hex}

        redis(redis_stack, "CONFIG", "SET", "maxmemory", "1")
        try:
            refused = api.post(url, json={"quantity": 2}, headers=headers)
        finally:
            redis(redis_stack, "CONFIG", "SET", "maxmemory", "0")
        retried = api.post(url, json={"quantity": 2}, headers=headers)

    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1
    assert retried.status_code == 200, retried.text
    assert retried.json()["available"] == 3


def redis(stack: Stack, *command: str) -> str:
    """One command to the stack's Redis with redis-cli (Debian's redis-server brings it)."""
    secrets = json.loads(stack.secrets_path.read_text())
    host, port = secrets["redis-host"].rsplit(":", 1)
    env = {**os.environ, "REDISCLI_AUTH": secrets["redis-password"]}
    argv = ["redis-cli", "-h", host, "-p", port, *command]
    done = subprocess.run(argv, env=env, check=True, capture_output=True, text=True, timeout=10)
    return done.stdout
