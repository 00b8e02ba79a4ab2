"""The Kubernetes manifests, offline: each overlay renders with kustomize, every Kubernetes object
validates against the schemas of `kubernetes-validate`, the Dapr resources are well formed, and
names agree with dapr.yaml, components/, config/ and the local secret store."""

import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from devstack.runfile import RunFile
from devstack.runtime import PROJECT_ROOT
from devstack.secrets import ensure_local_secrets

Resource = dict[str, Any]

KUSTOMIZE = PROJECT_ROOT / ".tools" / "bin" / "kustomize"
DEPLOYMENTS = PROJECT_ROOT / "deployments"
OVERLAYS = ("dev", "prod")
NAMESPACE = "dapr-commerce"
DAPR_KINDS = {"Component", "Configuration", "Resiliency"}
SIDECAR_ANNOTATIONS = {
    "dapr.io/enabled",
    "dapr.io/app-id",
    "dapr.io/app-port",
    "dapr.io/config",
    "dapr.io/app-token-secret",
    "dapr.io/api-token-secret",
    "dapr.io/log-as-json",
    "dapr.io/sidecar-cpu-request",
    "dapr.io/sidecar-cpu-limit",
    "dapr.io/sidecar-memory-request",
    "dapr.io/sidecar-memory-limit",
}
PROBES = {
    "startupProbe": "/health/startup",
    "livenessProbe": "/health/live",
    "readinessProbe": "/health/ready",
}


@cache
def rendered(overlay: str) -> tuple[Resource, ...]:
    """Fails, not skips, without kustomize: `make tools` builds it."""
    assert KUSTOMIZE.exists(), "kustomize is missing: run `make tools` (scripts/install-go-tool.sh)"
    build = subprocess.run(
        [str(KUSTOMIZE), "build", str(DEPLOYMENTS / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    return tuple(doc for doc in yaml.safe_load_all(build.stdout) if doc)


def of_kind(overlay: str, kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in rendered(overlay) if r["kind"] == kind}


def annotations(deployment: Resource) -> dict[str, str]:
    found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
    return found


def secret_refs(component: Resource) -> dict[str, Any]:
    return {
        m["name"]: m["secretKeyRef"] for m in component["spec"]["metadata"] if "secretKeyRef" in m
    }


def components_in(folders: list[Path]) -> list[Resource]:
    docs = [yaml.safe_load(path.read_text()) for f in folders for path in f.glob("*.yaml")]
    return [doc for doc in docs if doc["kind"] == "Component"]


def local_components() -> list[Resource]:
    """Every profile's components: components/<profile>/*.yaml."""
    return components_in([f for f in (PROJECT_ROOT / "components").iterdir() if f.is_dir()])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_kubernetes_object_matches_the_schemas(overlay: str) -> None:
    version = kubernetes_validate.latest_version()
    for resource in rendered(overlay):
        assert resource["metadata"].get("namespace") == NAMESPACE, resource["metadata"]
        if resource["kind"] not in DAPR_KINDS:
            kubernetes_validate.validate(resource, version, strict=True)


def check_component(component: Resource, app_ids: set[str]) -> None:
    spec = component["spec"]
    assert re.fullmatch(r"(state|pubsub|secretstores|bindings)\.[a-z0-9.]+", spec["type"])
    assert spec["version"] == "v1"
    for item in spec["metadata"]:
        assert item["name"] and ("value" in item) != ("secretKeyRef" in item), item
        if "secretKeyRef" in item:
            assert set(item["secretKeyRef"]) == {"name", "key"}, item
    assert component["scopes"] and set(component["scopes"]) <= app_ids, "scope it to its apps"


def check_configuration(config: Resource, app_ids: set[str]) -> None:
    spec = config["spec"]
    assert spec["tracing"]["otel"]["endpointAddress"] and spec["metric"]["enabled"] is True
    access = spec["accessControl"]
    assert access["defaultAction"] == "deny"
    for policy in access["policies"]:
        assert policy["appId"] in app_ids and policy["namespace"] == NAMESPACE
        assert all(op["name"].startswith("/") for op in policy["operations"])


def check_resiliency(resiliency: Resource) -> None:
    policies, targets = resiliency["spec"]["policies"], resiliency["spec"]["targets"]
    kinds = {"timeout": "timeouts", "retry": "retries", "circuitBreaker": "circuitBreakers"}
    uses = [*targets.get("apps", {}).values()]
    uses += [use for t in targets.get("components", {}).values() for use in t.values()]
    for use in uses:
        for key, name in use.items():
            assert name in policies[kinds[key]], f"{key} {name!r} is not a policy"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_dapr_resources_are_well_formed(overlay: str) -> None:
    app_ids = set(RunFile.load().apps)
    dapr = [r for r in rendered(overlay) if r["kind"] in DAPR_KINDS]

    assert {r["kind"] for r in dapr} == DAPR_KINDS
    for resource in dapr:
        assert resource["apiVersion"] == "dapr.io/v1alpha1"
    for component in of_kind(overlay, "Component").values():
        check_component(component, app_ids)
    for config in of_kind(overlay, "Configuration").values():
        check_configuration(config, app_ids)
    for resiliency in of_kind(overlay, "Resiliency").values():
        check_resiliency(resiliency)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_run_the_apps_of_dapr_yaml(overlay: str) -> None:
    apps = RunFile.load().apps
    deployments = of_kind(overlay, "Deployment")
    services, budgets = of_kind(overlay, "Service"), of_kind(overlay, "PodDisruptionBudget")

    assert {annotations(d)["dapr.io/app-id"] for d in deployments.values()} == set(apps)
    for deployment in deployments.values():
        meta = annotations(deployment)
        app = apps[meta["dapr.io/app-id"]]
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert SIDECAR_ANNOTATIONS <= set(meta) and meta["dapr.io/enabled"] == "true"
        assert int(meta["dapr.io/app-port"]) == app.app_port
        assert container["command"] == app.command
        assert container["ports"] == [{"name": "http", "containerPort": app.app_port}]
        env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
        assert int(env["APP_PORT"]) == app.app_port
        # The injector gives the tokens to daprd only: the app reads the same secrets.
        from_secrets = {
            e["name"]: e["valueFrom"]["secretKeyRef"]["name"]
            for e in container["env"]
            if "valueFrom" in e
        }
        assert from_secrets["DAPR_API_TOKEN"] == meta["dapr.io/api-token-secret"]
        assert from_secrets["APP_API_TOKEN"] == meta["dapr.io/app-token-secret"]
        assert {p: container[p]["httpGet"]["path"] for p in PROBES} == PROBES
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert services[app.app_id]["spec"]["ports"][0]["targetPort"] == "http"
        assert budgets[app.app_id]["spec"]["selector"] == deployment["spec"]["selector"]


def test_overlays_size_the_deployments() -> None:
    dev, prod = (of_kind(overlay, "Deployment").values() for overlay in OVERLAYS)

    assert {d["spec"]["replicas"] for d in dev} == {1}
    assert min(d["spec"]["replicas"] for d in prod) >= 3
    assert {annotations(d)["dapr.io/log-as-json"] for d in prod} == {"true"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_components_and_configs_keep_the_local_names(overlay: str) -> None:
    local = RunFile.load()
    default_profile = {c["metadata"]["name"] for c in components_in(local.resources_paths)}
    configs = of_kind(overlay, "Configuration")
    used_configs = {
        annotations(d)["dapr.io/config"] for d in of_kind(overlay, "Deployment").values()
    }

    assert set(of_kind(overlay, "Component")) == default_profile
    assert used_configs == set(configs)
    assert yaml.safe_load(local.config_path.read_text())["metadata"]["name"] in configs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_component_secrets_are_those_of_the_local_profiles(overlay: str) -> None:
    """A secret a cluster component reads is the one a local profile's same component reads."""
    for name, cluster in of_kind(overlay, "Component").items():
        local = [
            secret_refs(c)
            for c in local_components()
            if c["metadata"]["name"] == name and c["spec"]["type"] == cluster["spec"]["type"]
        ]
        for field, ref in secret_refs(cluster).items():
            assert any(refs.get(field) == ref for refs in local), f"{name}.{field}: {ref}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_orders_may_invoke_payments(overlay: str) -> None:
    configs = of_kind(overlay, "Configuration")
    config_of = {
        annotations(d)["dapr.io/app-id"]: configs[annotations(d)["dapr.io/config"]]
        for d in of_kind(overlay, "Deployment").values()
    }

    for callee, caller in (("payments", "orders"), ("orders", "payments")):
        access = config_of[callee]["spec"]["accessControl"]
        assert [p["appId"] for p in access["policies"]] == [caller]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_resiliency_is_the_local_one(overlay: str) -> None:
    local = yaml.safe_load((PROJECT_ROOT / "config" / "resiliency.yaml").read_text())
    (cluster,) = of_kind(overlay, "Resiliency").values()

    assert cluster["spec"] == local["spec"]


def readme_secrets() -> set[str]:
    text = (DEPLOYMENTS / "README.md").read_text()
    return set(re.findall(r"create secret generic ([\w-]+)", text))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_cluster_secret_is_a_local_one_and_documented(overlay: str, tmp_path: Path) -> None:
    ensure_local_secrets(tmp_path / "secrets.json")
    local = set(json.loads((tmp_path / "secrets.json").read_text()))
    local |= {ref["name"] for c in local_components() for ref in secret_refs(c).values()}
    tokens = {
        annotations(d)[annotation]
        for d in of_kind(overlay, "Deployment").values()
        for annotation in ("dapr.io/app-token-secret", "dapr.io/api-token-secret")
    }
    refs = {
        ref["name"]
        for c in of_kind(overlay, "Component").values()
        for ref in secret_refs(c).values()
    }
    allowed = {
        name
        for config in of_kind(overlay, "Configuration").values()
        for scope in config["spec"]["secrets"]["scopes"]
        if scope["storeName"] == "secretstore"
        for name in scope["allowedSecrets"]
    }
    readable = {
        name
        for role in of_kind(overlay, "Role").values()
        for rule in role["rules"]
        for name in rule["resourceNames"]
    }

    cluster = tokens | refs | allowed
    assert cluster <= local
    assert readable == allowed
    assert readme_secrets() == cluster


def pod_of(deployment: Resource) -> Resource:
    pod: Resource = deployment["spec"]["template"]["spec"]
    return pod


def size_in_bytes(quantity: str) -> int:
    """A Kubernetes or Go memory quantity: 256Mi, 230MiB, 1Gi."""
    found = re.fullmatch(r"(\d+)([KMG])iB?", quantity)
    assert found, f"not a memory quantity: {quantity}"
    return int(found[1]) * {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[found[2]]


def sidecar_env(deployment: Resource) -> dict[str, str]:
    pairs = annotations(deployment).get("dapr.io/env", "")
    return dict(pair.strip().split("=", 1) for pair in pairs.split(",") if pair.strip())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_app_drains_before_its_sidecar_stops(overlay: str) -> None:
    """A rollout on the cluster showed both containers told to stop at once: daprd went while
    the app still answered a checkout (a 500 for an order it had placed), and a new connection
    met the app's closed port before kube-proxy had dropped the pod."""
    for deployment in of_kind(overlay, "Deployment").values():
        meta, pod = annotations(deployment), pod_of(deployment)
        (container,) = pod["containers"]
        # Kubernetes stops a native sidecar only after the app has exited.
        assert meta.get("dapr.io/enable-native-sidecar") == "true"
        pause = container["lifecycle"]["preStop"]["sleep"]["seconds"]
        assert pause >= 2, "kube-proxy takes a second or two to drop a terminating pod"
        needed = pause + int(meta["dapr.io/graceful-shutdown-seconds"])
        assert pod["terminationGracePeriodSeconds"] >= needed + 10


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_sidecar_checks_the_apps_liveness_not_its_readiness(overlay: str) -> None:
    """Readiness asks the sidecar: a daprd that called the app unhealthy on it would drop the
    app's actors and then find it unready for ever."""
    for deployment in of_kind(overlay, "Deployment").values():
        meta = annotations(deployment)
        (container,) = pod_of(deployment)["containers"]
        assert meta.get("dapr.io/enable-app-health-check") == "true"
        assert (
            meta["dapr.io/app-health-check-path"] == container["livenessProbe"]["httpGet"]["path"]
        )
        assert int(meta["dapr.io/app-health-probe-timeout"]) >= 1000  # ms: a busy app is slow


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_sidecars_soft_memory_limit_is_under_its_hard_one(overlay: str) -> None:
    """Go's garbage collector only works towards a limit it knows (GOMEMLIMIT); without one,
    daprd's heap may double past the container's limit before a collection."""
    for deployment in of_kind(overlay, "Deployment").values():
        hard = size_in_bytes(annotations(deployment)["dapr.io/sidecar-memory-limit"])
        soft = size_in_bytes(sidecar_env(deployment)["GOMEMLIMIT"])
        assert 0.8 * hard <= soft <= 0.95 * hard, (soft, hard)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_sidecar_holds_a_kubernetes_api_token(overlay: str) -> None:
    """On the cluster the app container had the service account's token mounted (it never
    calls the API) and an ORDERS_PORT=tcp://... among its own ORDERS_* settings. daprd needs
    the token: its `secretstore` reads Kubernetes secrets."""
    token_dir = "/var/run/secrets/kubernetes.io/serviceaccount"
    for deployment in of_kind(overlay, "Deployment").values():
        pod = pod_of(deployment)
        (container,) = pod["containers"]
        assert pod["automountServiceAccountToken"] is False
        assert pod["enableServiceLinks"] is False
        assert not any(m["mountPath"] == token_dir for m in container.get("volumeMounts", []))
        name, path = annotations(deployment)["dapr.io/volume-mounts"].split(":")
        assert path == token_dir
        (volume,) = [v for v in pod["volumes"] if v["name"] == name]
        sources = volume["projected"]["sources"]
        assert any("serviceAccountToken" in s for s in sources)
        assert any(s.get("configMap", {}).get("name") == "kube-root-ca.crt" for s in sources)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_clusters_overlays_deploy_deployments_with_local_images(overlay: str) -> None:
    """tests/k8s/overlays/<overlay> (make test-k8s) is deployments/overlays/<overlay> with
    images that are never pulled, and the same apps, Configurations and components."""
    build = subprocess.run(
        [str(KUSTOMIZE), "build", str(PROJECT_ROOT / "tests" / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    cluster = [doc for doc in yaml.safe_load_all(build.stdout) if doc]
    names = {(r["kind"], r["metadata"]["name"]) for r in rendered(overlay)}

    assert names <= {(r["kind"], r["metadata"]["name"]) for r in cluster}
    for resource in cluster:
        if resource["kind"] == "Deployment":
            for container in pod_of(resource)["containers"]:
                assert container["image"].startswith("localhost/"), container["image"]
                assert container["imagePullPolicy"] == "Never"
