"""Logs, traces, metrics and health, read from a running stack that exports its spans (apps
and sidecars) to a collector in the test process."""

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devstack.runfile import RunFile
from devstack.stack import Stack
from tests import controls
from tests.e2e.collector import Collector, running_collector
from tests.support.api import anonymous_client, new_customer, orders_client, sidecar_client
from tests.support.catalog import new_item
from tests.support.checkout import final_order, place
from tests.support.eventually import eventually
from tests.support.sidecar import publish_cloud_event
from tests.support.stacks import ORDERS_ENV, own_stack

APPS = ("orders", "payments")


@pytest.fixture(scope="module")
def collector() -> Iterator[tuple[Collector, str]]:
    with running_collector() as running:
        yield running


@pytest.fixture(scope="module")
def traced_stack(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    collector: tuple[Collector, str],
) -> Iterator[Stack]:
    _, endpoint = collector

    def traced(run_file: RunFile, workdir: Path) -> RunFile:
        traced = run_file.with_trace_collector(endpoint, workdir / "config.yaml")
        # Export within a fraction of a second rather than every 5 s.
        return RunFile(
            **{**traced.__dict__, "env": {**traced.env, "OTEL_BSP_SCHEDULE_DELAY": "200"}}
        )

    env = {**ORDERS_ENV, "LOG_FORMAT": "json"}
    with own_stack(request, tmp_path_factory, "traced", env, traced) as stack:
        yield stack


def log_lines(stack: Stack, app_id: str) -> list[dict[str, Any]]:
    lines = (stack.log_dir / f"{app_id}.log").read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_one_checkout_is_one_trace_across_both_apps(
    traced_stack: Stack, collector: tuple[Collector, str]
) -> None:
    spans, _ = collector
    orders = traced_stack.apps["orders"]
    trace_id = secrets.token_hex(16)
    traceparent = {"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    with orders_client(orders) as api:
        sku = new_item(api, stock=3)["sku"]
        response = api.post(
            "/api/v1/orders",
            json={"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"},
            headers=traceparent,
        )
        assert response.status_code == 202, response.text
        assert final_order(api, response.json()["id"])["status"] == "confirmed"

    wanted = {
        "POST /api/v1/orders",
        "activity: reserve_stock",
        "activity: charge_payment",
        "activity: confirm_order",
        "POST /charges",
        # The Order actor, called by an activity, publishes; the subscriber is in it too.
        "PUT /actors/{actor_type_name}/{actor_id}/method/{method_name}",
        "POST /events/orders",
        # The sidecars' own spans (daprd 1.18 names), exported through the Configuration.
        "orchestration||checkout",
        "CallLocal/payments/charges",
        "pubsub/orders",
    }

    def whole_trace() -> bool | None:
        return wanted <= set(spans.names_in(trace_id)) or None

    try:
        eventually(whole_trace, what="the checkout's spans from orders and payments")
    except AssertionError as error:
        missing = wanted - set(spans.names_in(trace_id))
        raise AssertionError(f"{error}; missing {sorted(missing)}") from None
    assert {"orders", "payments"} <= spans.services_in(trace_id)


def test_log_lines_carry_request_trace_and_subject(traced_stack: Stack) -> None:
    orders = traced_stack.apps["orders"]
    with orders_client(orders) as api:
        sku = new_item(api, stock=3)["sku"]
        response = api.post(
            "/api/v1/orders",
            json={"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"},
            headers={"X-Request-ID": "obs-request-1"},
        )
        order_id = response.json()["id"]
        assert response.headers["x-request-id"] == "obs-request-1"
        final_order(api, order_id)
        assert api.get("/api/v1/items").headers["x-request-id"]  # made up when not given

    def lines() -> list[dict[str, Any]] | None:
        """Once the saga's last activity and the confirmation event's handler have logged."""
        found = log_lines(traced_stack, "orders")
        confirmed = {(line.get("order_id"), line.get("activity")) for line in found}
        handled = {(line.get("topic"), line.get("event_id")) for line in found}
        done = (order_id, "confirm_order") in confirmed
        return found if done and ("orders", f"{order_id}:confirmed") in handled else None

    found = eventually(lines, what="the orders app's log lines")
    (placed,) = [
        line
        for line in found
        if line.get("request_id") == "obs-request-1" and line["event"] == "request"
    ]
    assert placed["route"] == "/api/v1/orders" and placed["status"] == 202
    assert len(placed["trace_id"]) == 32 and len(placed["span_id"]) == 16
    activities = [line for line in found if line.get("order_id") == order_id]
    assert {"reserve_stock", "charge_payment", "confirm_order"} <= {
        line.get("activity") for line in activities
    }
    assert all(line.get("trace_id") for line in activities)
    assert any(line.get("sku") == sku and line.get("actor") == "Inventory" for line in found)
    handled = [line for line in found if line.get("event_id") == f"{order_id}:confirmed"]
    assert all(line["request_id"] and line["trace_id"] for line in handled)


def test_no_secret_reaches_a_log(traced_stack: Stack) -> None:
    orders = traced_stack.apps["orders"]
    password = "hunter2-but-longer"
    with anonymous_client(orders) as api:
        body = {"email": "logs@example.com", "password": password, "name": "L"}
        assert api.post("/api/v1/auth/register", json=body).status_code == 201
        form = {"username": "logs@example.com", "password": password}
        tokens = api.post("/api/v1/auth/token", data=form).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert api.get("/api/v1/users/me", headers=bearer).status_code == 200
        assert (
            api.post("/api/v1/auth/token", data={**form, "password": "wrong!"}).status_code == 401
        )
        assert api.post("/api/v1/auth/logout", headers=bearer).status_code == 204
    stored = json.loads(orders.secrets_file.read_text())

    def signed_in_and_out() -> dict[str, str] | None:
        texts = {log.name: log.read_text() for log in traced_stack.log_dir.glob("*.log")}
        logged = texts["orders.log"]
        done = "/api/v1/auth/logout" in logged and "/api/v1/users/me" in logged
        return texts if done else None

    # Every process's log: the apps, their sidecars, and the servers of the profile.
    texts = eventually(signed_in_and_out, what="the auth requests in the orders log")
    for value in (password, tokens["access_token"], tokens["refresh_token"], *stored.values()):
        for name, text in texts.items():
            assert value not in text, f"a secret in {name}"


def metric_samples(api: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = api.get("/metrics").text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metric_families_move_after_a_checkout(traced_stack: Stack) -> None:
    orders = traced_stack.apps["orders"]
    with (
        orders_client(orders) as api,
        new_customer(orders) as customer,
        sidecar_client(orders) as sidecar,
    ):
        sku = new_item(api, stock=1)["sku"]
        before = metric_samples(api)
        confirmed = place(customer, [(sku, 1)])
        out_of_stock = place(customer, [(sku, 1)])
        assert final_order(api, confirmed)["status"] == "confirmed"
        assert final_order(api, out_of_stock)["status_reason"] == "out_of_stock"
        malformed = {"sku": sku}  # no quantity, no shipment id
        publish_cloud_event(sidecar, "warehouse", f"bad-{sku}", "inventory.restocked", malformed)

        def moved() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
            after = metric_samples(api)
            consumed = ("events_consumed_total", (("topic", "orders"),))
            dropped = ("events_dropped_total", (("topic", "warehouse"),))
            all_in = after.get(consumed, 0) >= before.get(consumed, 0) + 4
            return after if all_in and after.get(dropped, 0) > before.get(dropped, 0) else None

        after = eventually(moved, what="the order events to be consumed")

    def growth(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return growth(name, **labels) >= by

    assert grew("orders_placed_total", 2)
    # Counted where the order changes, so once per order however often its saga retries.
    assert growth("orders_confirmed_total") == 1
    assert growth("orders_cancelled_total", reason="out_of_stock") == 1
    assert grew("events_dropped_total", topic="warehouse")
    assert grew("checkout_saga_duration_seconds_count", outcome="confirmed")
    assert grew("stock_reservations_total", outcome="granted")
    assert grew("stock_reservations_total", outcome="refused")
    assert grew("http_requests_total", 2, method="POST", route="/api/v1/orders", status="202")
    assert grew("http_request_duration_seconds_count", 2, method="POST", route="/api/v1/orders")
    # The sidecar's metrics are on its own port, not mixed into the app's.
    assert not any(name.startswith("dapr_") for name, _ in after)
    sidecar_metrics = httpx.get(f"http://127.0.0.1:{orders.spec.metrics_port}/metrics").text
    assert "dapr_http_server_request_count" in sidecar_metrics


def test_readiness_follows_the_sidecar_and_comes_back_on_its_own(traced_stack: Stack) -> None:
    """Last in this module: it takes the sidecar away."""
    orders = traced_stack.apps["orders"]

    def ready_status() -> int:
        try:
            return httpx.get(f"{orders.url}/health/ready", timeout=10).status_code
        except httpx.HTTPError:
            return 0

    with anonymous_client(orders) as api:
        assert api.get("/health/startup").status_code == 200
        controls.kill_sidecar(traced_stack, "orders")
        eventually(lambda: ready_status() == 503 or None, what="readiness to go false")
        assert api.get("/health/live").status_code == 200
        assert api.get("/health/startup").status_code == 200

        controls.start_sidecar(traced_stack, "orders")
        eventually(lambda: ready_status() == 200 or None, what="readiness to come back")

    with orders_client(orders) as api:
        sku = new_item(api, stock=1)["sku"]
        assert final_order(api, place(api, [(sku, 1)]))["status"] == "confirmed"
