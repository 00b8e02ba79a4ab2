"""The single-node cluster of cluster/ for the k8s tier: started with Dapr, given the images,
the service deployed from tests/k8s/overlays (an overlay of deployments/ plus Redis and a
webhook receiver), and kubectl to look inside."""

import calendar
import json
import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devstack.runtime import PROJECT_ROOT

NAMESPACE = "dapr-commerce"
APPS = ("orders", "payments")
# Which overlay of deployments/ is deployed: tests/k8s/overlays/<dev|prod> (K8S_OVERLAY).
OVERLAY_NAME = os.environ.get("K8S_OVERLAY", "dev")
OVERLAY = PROJECT_ROOT / "tests" / "k8s" / "overlays" / OVERLAY_NAME
BUILD = PROJECT_ROOT / ".cluster" / "build"
RUN = PROJECT_ROOT / ".cluster" / "run"
LOGS = PROJECT_ROOT / ".cluster" / "logs"
# The names the overlay uses; the images come from podman's store (make image, make images).
APP_IMAGE = "localhost/dapr-commerce/app:dev"
REDIS_IMAGE = "localhost/dapr-commerce/redis:7-bookworm"
ADMIN_EMAIL = "admin@dapr-commerce.test"
# Where the notifications binding posts: the overlay's receiver, by its Service name.
NOTIFICATIONS_URL = "http://webhook-sink"
# Figures of the run, printed at the end and written to .cluster/logs/test-k8s.json.
FIGURES: dict[str, Any] = {}


def script(name: str, *args: str) -> float:
    """Runs cluster/<name>; fails with its output. Returns how long it took."""
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(PROJECT_ROOT / "cluster" / name), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"cluster/{name} {' '.join(args)} failed:\n{done.stderr}"
    return time.monotonic() - started


def kubectl_env() -> dict[str, str]:
    return {
        **os.environ,
        "KUBECONFIG": str(RUN / "pki" / "admin.kubeconfig"),
        "KUBECACHEDIR": str(RUN / "kube-cache"),
    }


def kubectl(*args: str, stdin: str | None = None, check: bool = True, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(BUILD / "bin" / "kubectl"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=kubectl_env(),
        timeout=timeout,
        check=False,
    )
    if check:
        assert done.returncode == 0, f"kubectl {' '.join(args)}: {done.stderr.strip()}"
    return done.stdout


def kubectl_json(*args: str) -> Any:
    return json.loads(kubectl(*args, "-o", "json"))


def readme_secrets() -> list[tuple[str, str]]:
    """(name, key) of every secret deployments/README.md tells a user to create."""
    text = (PROJECT_ROOT / "deployments" / "README.md").read_text()
    return re.findall(r"create secret generic ([\w-]+) --from-literal=([\w-]+)=", text)


def secret_values() -> dict[str, dict[str, str]]:
    """The README's secrets, with generated values (and those that name or hold something)."""
    fixed = {
        "notifications-url": NOTIFICATIONS_URL,
        "admin-email": ADMIN_EMAIL,
        "tenant-admins": "{}",
    }
    return {
        name: {key: fixed.get(name, secrets.token_urlsafe(32))} for name, key in readme_secrets()
    }


def secret_manifest(values: dict[str, dict[str, str]]) -> str:
    items = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "stringData": data,
        }
        for name, data in values.items()
    ]
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": items})


@dataclass
class Deployed:
    """The service as deployed: its secrets, where the orders Service answers, and figures."""

    secrets: dict[str, dict[str, str]]
    orders_url: str
    figures: dict[str, Any] = field(default_factory=dict)

    def secret(self, name: str) -> str:
        (value,) = self.secrets[name].values()
        return value

    def pods(self, app: str, terminating: bool = False) -> list[dict[str, Any]]:
        """The app's pods; those shutting down too with `terminating`."""
        found: list[dict[str, Any]] = kubectl_json(
            "-n", NAMESPACE, "get", "pods", "-l", f"app={app}"
        )["items"]
        return [p for p in found if terminating or not p["metadata"].get("deletionTimestamp")]

    def replicas(self, app: str) -> int:
        spec = kubectl_json("-n", NAMESPACE, "get", "deployment", app)["spec"]
        return int(spec["replicas"])

    def pod_name(self, app: str) -> str:
        return str(self.pods(app)[0]["metadata"]["name"])


class PodLogs:
    """Follows containers' logs of one pod, each line stamped by the container runtime, until
    the containers end or `stop`."""

    def __init__(self, pod: str, containers: tuple[str, ...], into: Path) -> None:
        self._files = {c: into / f"{pod}_{c}.log" for c in containers}
        self._outputs = [path.open("w") for path in self._files.values()]
        self._followers = [
            subprocess.Popen(
                [
                    str(BUILD / "bin" / "kubectl"),
                    "-n",
                    NAMESPACE,
                    "logs",
                    "-f",
                    "--timestamps",
                    "--since=1s",
                    pod,
                    "-c",
                    container,
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=kubectl_env(),
            )
            for container, output in zip(self._files, self._outputs, strict=True)
        ]

    def stop(self) -> None:
        for follower in self._followers:
            try:
                follower.wait(timeout=10)
            except subprocess.TimeoutExpired:
                follower.kill()
                follower.wait()
        for output in self._outputs:
            output.close()

    def first(self, container: str, text: str) -> str | None:
        """When the first line holding `text` was written (RFC 3339, to the microsecond)."""
        for line in self._files[container].read_text().splitlines():
            if text in line:
                stamp = re.match(r"(\S+T\d\d:\d\d:\d\d)(\.\d+)?Z", line)
                if stamp:
                    return stamp.group(1) + (stamp.group(2) or ".").ljust(7, "0")[:7]
        return None


def deploy() -> Deployed:
    """A fresh namespace, the README's secrets, the overlay applied, every Deployment rolled out."""
    kubectl("delete", "namespace", NAMESPACE, "--ignore-not-found", "--wait=true", timeout=180)
    kubectl("create", "namespace", NAMESPACE)
    values = secret_values()
    kubectl("apply", "-f", "-", stdin=secret_manifest(values))
    started = time.monotonic()
    assert OVERLAY.is_dir(), f"K8S_OVERLAY={OVERLAY_NAME}: there is no {OVERLAY}"
    kubectl("apply", "-k", str(OVERLAY))
    for deployment in (*APPS, "redis-master", "webhook-sink"):
        kubectl(
            "-n",
            NAMESPACE,
            "rollout",
            "status",
            f"deployment/{deployment}",
            "--timeout=240s",
            timeout=250,
        )
    ready_after = time.monotonic() - started
    ip = kubectl("-n", NAMESPACE, "get", "service", "orders", "-o", "jsonpath={.spec.clusterIP}")
    deployed = Deployed(secrets=values, orders_url=f"http://{ip}")
    deployed.figures["overlay"] = OVERLAY_NAME
    deployed.figures["ready_after_apply_s"] = round(ready_after, 1)
    return deployed


def pod_start_seconds() -> dict[str, float]:
    """Per app pod: seconds from its creation to Ready, as the API server recorded them."""
    found = {}
    for pod in kubectl_json("-n", NAMESPACE, "get", "pods")["items"]:
        created = _time(pod["metadata"]["creationTimestamp"])
        ready = [c for c in pod["status"]["conditions"] if c["type"] == "Ready"]
        if ready and ready[0]["status"] == "True":
            found[pod["metadata"]["name"]] = _time(ready[0]["lastTransitionTime"]) - created
    return found


def _time(stamp: str) -> float:
    return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))


def container_memory() -> dict[str, float]:
    """Working set per container in MiB, from the kubelet's resource metrics."""
    text = kubectl("get", "--raw", "/api/v1/nodes/dapr-commerce/proxy/metrics/resource")
    found = {}
    pattern = (
        r'^container_memory_working_set_bytes\{container="([^"]+)",namespace="([^"]+)",'
        r'pod="([^"]+)"\} (\S+)'
    )
    for container, namespace, pod, value in re.findall(pattern, text, re.MULTILINE):
        found[f"{namespace}/{pod}/{container}"] = round(float(value) / 2**20, 1)
    return found


def save_logs(into: Path) -> None:
    """Every container's log in the cluster (and the last one's of a restarted container)."""
    into.mkdir(parents=True, exist_ok=True)
    for pod in kubectl_json("get", "pods", "-A")["items"]:
        namespace, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        # daprd runs as a native sidecar: among the init containers.
        for container in pod["spec"]["containers"] + pod["spec"].get("initContainers", []):
            log = kubectl(
                "-n", namespace, "logs", name, "-c", container["name"], check=False, timeout=30
            )
            (into / f"{namespace}_{name}_{container['name']}.log").write_text(log)
