"""The service on a real Kubernetes node with Dapr, deployed from deployments/overlays/dev:
sidecars injected, components on the cluster's Redis, each app with its own token pair, the
checkout through the orders Service, payments reachable only from orders' mTLS identity, and a
rolling restart of orders that loses no request."""

import json
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.clients import SignedIn
from tests.k8s.cluster import (
    ADMIN_EMAIL,
    APP_IMAGE,
    APPS,
    FIGURES,
    NAMESPACE,
    Deployed,
    PodLogs,
    container_memory,
    kubectl,
    pod_start_seconds,
)
from tests.pictures import png
from tests.support.checkout import final_order, finished_saga, place, stock
from tests.support.eventually import eventually

# Runs in a container of the app image: one HTTP call, its answer printed as JSON. Arguments:
# method, URL, token ("own": the container's DAPR_API_TOKEN; "": none; else that value), body.
CALL = """
import json, os, sys, httpx
method, url, token = sys.argv[1:4]
value = os.environ.get("DAPR_API_TOKEN", "") if token == "own" else token
headers = {"dapr-api-token": value} if value else {}
body = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
r = httpx.request(method, url, headers=headers, json=body, timeout=10)
print(json.dumps({"status": r.status_code, "body": r.text}))
"""
# What the app container sees: its environment's names, and whether a token is mounted.
LOOK = """
import json, os
token = os.path.exists("/var/run/secrets/kubernetes.io/serviceaccount/token")
print(json.dumps({"env": sorted(os.environ), "token": token}))
"""
SIDECAR = "http://127.0.0.1:3500/v1.0"
PAYMENTS = f"{SIDECAR}/invoke/payments.{NAMESPACE}/method"
CHARGE = {"order_id": "o-k8s", "amount_cents": 100, "currency": "EUR", "payment_token": "tok_ok"}


def call(
    pod: str,
    container: str,
    method: str,
    url: str,
    token: str = "own",
    body: Any = None,
    namespace: str = NAMESPACE,
) -> tuple[int, str]:
    args = [method, url, token] + ([json.dumps(body)] if body is not None else [])
    out = kubectl("-n", namespace, "exec", pod, "-c", container, "--", "python", "-c", CALL, *args)
    answer = json.loads(out.strip().splitlines()[-1])
    return answer["status"], answer["body"]


def look_inside(pod: str, container: str) -> Any:
    out = kubectl("-n", NAMESPACE, "exec", pod, "-c", container, "--", "python", "-c", LOOK)
    return json.loads(out.strip().splitlines()[-1])


def api(deployed: Deployed, email: str, password: str) -> httpx.Client:
    base = deployed.orders_url
    return httpx.Client(base_url=base, timeout=30.0, auth=SignedIn(base, email, password))


@pytest.fixture(scope="module")
def admin(deployed: Deployed) -> Iterator[httpx.Client]:
    with api(deployed, ADMIN_EMAIL, deployed.secret("admin-password")) as client:
        yield client


def new_item(admin: httpx.Client, stock_count: int) -> str:
    sku = f"k8s-{uuid.uuid4().hex[:8]}"
    body = {"sku": sku, "name": "Tea", "price_cents": 250, "stock": stock_count}
    created = admin.post("/api/v1/items", json=body)
    assert created.status_code == 201, created.text
    return sku


def test_each_app_runs_beside_an_injected_sidecar_with_the_clusters_components(
    deployed: Deployed,
) -> None:
    FIGURES["pod_ready_after_creation_s"] = pod_start_seconds()
    components = {
        "orders": {
            ("statestore", "state.redis"),
            ("pubsub", "pubsub.redis"),
            ("secretstore", "secretstores.kubernetes"),
            ("notifications", "bindings.http"),
            ("images", "bindings.localstorage"),
        },
        "payments": {("statestore", "state.redis"), ("secretstore", "secretstores.kubernetes")},
    }
    for app, pod in [(a, p) for a in APPS for p in deployed.pods(a)]:
        spec, status = pod["spec"], pod["status"]
        # daprd is a native sidecar: an init container that keeps running beside the app.
        (app_container,) = spec["containers"]
        (daprd,) = [c for c in spec.get("initContainers", []) if c["name"] == "daprd"]
        assert app_container["name"] == app and daprd["restartPolicy"] == "Always"
        statuses = status["containerStatuses"] + status["initContainerStatuses"]
        assert all(s["ready"] for s in statuses), statuses
        args = daprd["args"]
        assert "--enable-mtls" in args and args[args.index("--app-id") + 1] == app
        name, value = pod["metadata"]["annotations"]["dapr.io/env"].split("=")
        assert name == "GOMEMLIMIT" and {"name": name, "value": value} in daprd["env"]
        # Only daprd holds a Kubernetes API token; the app has none, and no Service variables.
        token_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
        assert token_dir in {m["mountPath"] for m in daprd["volumeMounts"]}
        assert not app_container.get("volumeMounts"), app_container.get("volumeMounts")
        seen = look_inside(pod["metadata"]["name"], app)
        assert not seen["token"], f"{app}'s container holds a service-account token"
        hosts = [n for n in seen["env"] if n.endswith("_SERVICE_HOST")]
        assert hosts == ["KUBERNETES_SERVICE_HOST"], hosts

        status, body = call(pod["metadata"]["name"], app, "GET", f"{SIDECAR}/metadata")
        assert status == 200, body
        meta = json.loads(body)
        found = {(c["name"], c["type"]) for c in meta["components"]}
        assert components[app] <= found, found
        if app == "orders":
            assert meta["actorRuntime"]["placement"] == "placement: connected"
            assert {"Order", "Inventory"} <= {a["type"] for a in meta["actors"]}
            assert meta["workflows"]["connectedWorkers"] >= 1
            assert {s["pubsubname"] for s in meta["subscriptions"]} == {"pubsub"}


def test_each_app_and_its_sidecar_hold_their_own_token_pair(deployed: Deployed) -> None:
    orders = deployed.pod_name("orders")

    # The app presents the token of its own secret, which its sidecar takes...
    assert call(orders, "orders", "GET", f"{SIDECAR}/metadata")[0] == 200
    # ... and no other: none, or the payments app's.
    assert call(orders, "orders", "GET", f"{SIDECAR}/metadata", token="")[0] == 401
    other = deployed.secret("payments-dapr-api-token")
    assert call(orders, "orders", "GET", f"{SIDECAR}/metadata", token=other)[0] == 401
    # The app's sidecar-only routes want the app token its sidecar was given.
    pod_ip = deployed.pods("orders")[0]["status"]["podIP"]
    with httpx.Client(base_url=f"http://{pod_ip}:8000", timeout=10) as direct:
        assert direct.get("/dapr/config").status_code in (401, 403)
        token = {"dapr-api-token": deployed.secret("orders-app-api-token")}
        assert direct.get("/dapr/config", headers=token).status_code == 200


def test_a_customer_checks_out_through_the_orders_service(
    deployed: Deployed, admin: httpx.Client
) -> None:
    email, password = f"k8s-{uuid.uuid4().hex[:8]}@example.com", "correct horse battery"
    with httpx.Client(base_url=deployed.orders_url, timeout=30) as anonymous:
        body = {"email": email, "password": password, "name": "Ada"}
        registered = anonymous.post("/api/v1/auth/register", json=body)
        assert registered.status_code == 201, registered.text
    with api(deployed, email, password) as customer:
        checkout_and_compensation(deployed, admin, customer)


def checkout_and_compensation(
    deployed: Deployed, admin: httpx.Client, customer: httpx.Client
) -> None:
    sku = new_item(admin, stock_count=5)

    paid = final_order(customer, place(customer, [(sku, 2)]))
    assert (paid["status"], paid["total_cents"]) == ("confirmed", 500)
    assert stock(customer, sku) == (3, 0)
    assert [s["step"] for s in finished_saga(customer, paid["id"])["timeline"]] == [
        "reserve_stock",
        "charge_payment",
        "confirm_order",
    ]
    sink = deployed.pod_name("webhook-sink")
    eventually(
        lambda: (
            f"POST /{paid['id']}-confirmed.json" in kubectl("-n", NAMESPACE, "logs", sink) or None
        ),
        what="the notification at the webhook",
    )

    declined = final_order(customer, place(customer, [(sku, 1)], token="tok_decline"))
    assert (declined["status"], declined["status_reason"]) == ("cancelled", "payment_declined")
    assert stock(customer, sku) == (3, 0)
    steps = [(s["step"], s["kind"]) for s in finished_saga(customer, declined["id"])["timeline"]]
    assert ("release_stock", "compensation") in steps, steps


def intruder(namespace: str, app_id: str) -> str:
    """A pod of the app image with a sidecar under `app_id`, that only sleeps."""
    name = f"intruder-{app_id}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app": name},
            "annotations": {"dapr.io/enabled": "true", "dapr.io/app-id": app_id},
        },
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001},
            "containers": [
                {
                    "name": "app",
                    "image": APP_IMAGE,
                    "imagePullPolicy": "Never",
                    "command": ["python", "-c", "import time; time.sleep(3600)"],
                }
            ],
        },
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(pod))
    return name


def peer_certificate(host: str, port: int) -> tuple[bytes, str]:
    """The certificate a TLS server presents to a client that has none, and how the server
    then answers the client."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    with socket.create_connection((host, port), timeout=5) as raw, context.wrap_socket(raw) as tls:
        cert = tls.getpeercert(binary_form=True) or b""
        try:
            tls.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
            answer = f"read {tls.recv(64)!r}"
        except ssl.SSLError as error:
            answer = error.reason or str(error)
    return cert, answer


def test_an_items_picture_goes_through_the_images_binding_and_comes_back(
    admin: httpx.Client,
) -> None:
    sku = new_item(admin, stock_count=1)
    data = png(8)
    stored = admin.put(
        f"/api/v1/items/{sku}/image", content=data, headers={"content-type": "image/png"}
    )
    assert stored.status_code == 200, stored.text
    served = admin.get(f"/api/v1/items/{sku}/image")
    assert served.status_code == 200, served.text
    assert served.content == data and served.headers["content-type"] == "image/png"


def test_only_orders_mtls_identity_may_call_payments(deployed: Deployed) -> None:
    elsewhere = f"{NAMESPACE}-elsewhere"
    kubectl("create", "namespace", elsewhere)
    pods = [
        (NAMESPACE, intruder(NAMESPACE, "intruder")),
        (elsewhere, intruder(elsewhere, "orders")),
    ]
    for namespace, pod in pods:
        kubectl(
            "-n",
            namespace,
            "wait",
            "--for=condition=Ready",
            f"pod/{pod}",
            "--timeout=120s",
            timeout=130,
        )

    # Another app-id, and the orders app-id from another namespace: refused by the payments
    # sidecar's access-control policy, which names the caller by its certificate's SPIFFE id.
    for (namespace, pod), spiffe in zip(
        pods,
        [f"spiffe://public/ns/{NAMESPACE}/intruder", f"spiffe://public/ns/{elsewhere}/orders"],
        strict=True,
    ):
        status, body = call(pod, "app", "POST", f"{PAYMENTS}/charges", "", CHARGE, namespace)
        assert status == 403, body
        assert f"access control policy has denied access to id: {spiffe}" in body, body

    # orders passes the policy; the app itself then wants orders' signed caller assertion.
    status, body = call(
        deployed.pod_name("orders"), "orders", "POST", f"{PAYMENTS}/charges", body=CHARGE
    )
    assert status == 403 and "caller assertion" in body and "access control" not in body, body
    # And the policy holds for what orders may not do either: read a charge.
    status, body = call(deployed.pod_name("orders"), "orders", "GET", f"{PAYMENTS}/charges/ch_x")
    assert status == 403 and "access control policy has denied" in body, body

    # The sidecars' own port speaks mTLS only: a client without a certificate is refused.
    payments_ip = deployed.pods("payments")[0]["status"]["podIP"]
    cert, answer = peer_certificate(payments_ip, 50002)
    assert "CERTIFICATE_REQUIRED" in answer, answer
    text = subprocess.run(
        ["openssl", "x509", "-inform", "DER", "-noout", "-ext", "subjectAltName"],
        input=cert,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert f"URI:spiffe://public/ns/{NAMESPACE}/payments" in text, text
    kubectl("delete", "namespace", elsewhere, "--wait=false")
    kubectl("-n", NAMESPACE, "delete", "pod", pods[0][1], "--wait=false")


def test_a_rolling_restart_of_orders_drains_the_app_before_its_sidecar(
    deployed: Deployed, admin: httpx.Client, tmp_path: Path
) -> None:
    """Checkouts through the Service while orders restarts. The old pod's app finishes before
    its daprd is told to stop; each checkout a client retries with its Idempotency-Key (as a
    client should after a 5xx or a broken connection) is placed exactly once, and ends."""
    sku = new_item(admin, stock_count=1000)
    first_tries: Counter[str] = Counter()
    placed: dict[str, str] = {}
    unplaced: list[str] = []
    done = threading.Event()

    def checkouts() -> None:
        body = {"lines": [{"sku": sku, "quantity": 1}], "payment_token": "tok_ok"}
        with httpx.Client(base_url=deployed.orders_url, timeout=30, auth=admin.auth) as client:
            for n in range(600):  # 10 a second at most: a minute's worth
                if done.is_set():
                    return
                key = f"rollout-{sku}-{n}"
                for attempt in range(5):
                    try:
                        response = client.post(
                            "/api/v1/orders", json=body, headers={"Idempotency-Key": key}
                        )
                        answer = str(response.status_code)
                    except httpx.TransportError as error:
                        answer = type(error).__name__
                    if attempt == 0:
                        first_tries[answer] += 1
                    if answer == "202":
                        placed[key] = response.json()["id"]
                        break
                    time.sleep(0.5)
                else:
                    unplaced.append(key)
                time.sleep(0.1)

    old, replicas = deployed.pod_name("orders"), deployed.replicas("orders")
    logs = PodLogs(old, ("orders", "daprd"), tmp_path)
    load = threading.Thread(target=checkouts)
    load.start()
    try:
        time.sleep(2)
        started = time.monotonic()
        kubectl("-n", NAMESPACE, "rollout", "restart", "deployment/orders")
        kubectl(
            "-n", NAMESPACE, "rollout", "status", "deployment/orders", "--timeout=300s", timeout=310
        )
        FIGURES["orders_rollout_s"] = round(time.monotonic() - started, 1)
        eventually(
            lambda: len(deployed.pods("orders", terminating=True)) == replicas or None,
            timeout=180,
            what="the old orders pods to go",
        )
        FIGURES["orders_old_pod_gone_s"] = round(time.monotonic() - started, 1)
        time.sleep(3)
    finally:
        done.set()
        load.join()
        logs.stop()

    FIGURES["rollout_checkouts_first_try"] = dict(first_tries)
    app_finished = logs.first("orders", "Finished server process")
    daprd_stopping = logs.first("daprd", "Received signal 'terminated'")
    assert app_finished and daprd_stopping, "the old pod's logs do not show its shutdown"
    assert app_finished <= daprd_stopping, (app_finished, daprd_stopping)
    assert not unplaced, unplaced
    assert len(set(placed.values())) == len(placed)
    ends = Counter(
        final_order(admin, order_id, timeout=120)["status"] for order_id in placed.values()
    )
    assert ends == Counter({"confirmed": len(placed)})
    assert stock(admin, sku) == (1000 - len(placed), 0)


@pytest.mark.usefixtures("deployed")
def test_memory_of_the_running_service() -> None:
    """Not a check: the containers' working sets after the tests above, for the figures."""
    memory = container_memory()
    FIGURES["memory_mib"] = {k: v for k, v in memory.items() if k.startswith(f"{NAMESPACE}/")}
    FIGURES["memory_mib_dapr_system"] = round(
        sum(v for k, v in memory.items() if k.startswith("dapr-system/")), 1
    )
    assert any(k.endswith("/daprd") for k in memory)
