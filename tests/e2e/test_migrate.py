"""`python -m app.migrate` against a running service: read models written in the layout of
earlier releases are listed through the API afterwards, from the new time indexes."""

import subprocess
import sys
import uuid

import httpx

from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunningApp
from tests.support.api import new_customer
from tests.support.sidecar import read_state


def test_the_migration_moves_a_running_services_read_models(
    orders: RunningApp, orders_sidecar: httpx.Client
) -> None:
    with new_customer(orders) as customer:
        customer_id = customer.get("/api/v1/users/me").json()["id"]
        ids = [f"old-{uuid.uuid4().hex[:10]}" for _ in range(30)]
        summaries = [
            {
                "key": f"orders:summary:{order_id}",
                "value": {
                    "id": order_id,
                    "customer_id": customer_id,
                    "status": "confirmed",
                    "status_reason": None,
                    "total_cents": 450,
                    "created_at": f"2025-06-{1 + n:02}T09:00:00+00:00",
                    "version": 2,
                },
            }
            for n, order_id in enumerate(ids)
        ]
        old_index = {"key": f"orders:customer:{customer_id}", "value": {"members": sorted(ids)}}
        everyone = {"key": "orders:all", "value": {"members": sorted(ids)}}
        response = orders_sidecar.post(
            "/v1.0/state/statestore", json=[*summaries, old_index, everyone]
        )
        assert response.status_code == 204, response.text
        assert customer.get("/api/v1/orders").json()["items"] == []

        env = {
            "DAPR_GRPC_PORT": str(orders.spec.grpc_port),
            "DAPR_HTTP_PORT": str(orders.spec.http_port),
            **orders.tokens,
        }
        done = subprocess.run(
            [sys.executable, "-m", "app.migrate"],
            cwd=PROJECT_ROOT,
            env={**env, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        listed = customer.get("/api/v1/orders", params={"limit": 100}).json()["items"]

    assert [order["id"] for order in listed] == list(reversed(ids))
    assert read_state(orders_sidecar, f"orders:customer:{customer_id}") is None
    assert read_state(orders_sidecar, "orders:all") is None
