"""The Kubernetes manifests, offline: each overlay renders, every object validates against the
Kubernetes schemas, and names agree with dapr.yaml, components/ and config/."""

import subprocess
from functools import cache
from typing import Any

import kubernetes_validate
import pytest
import yaml

from devstack.runtime import PROJECT_ROOT
from devstack.stack import RunFile

KUSTOMIZE = PROJECT_ROOT / ".tools" / "bin" / "kustomize"
OVERLAYS = ("dev", "prod")
DAPR_KINDS = {"Component", "Configuration", "Resiliency"}
# Secrets the cluster must hold (deployments/README.md says how to create them).
CLUSTER_SECRETS = {"redis", "notifications", "app-api-token"}


@cache
def rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    """Fails, not skips, without kustomize: `make test` installs it."""
    assert KUSTOMIZE.exists(), "kustomize is missing: run scripts/install-kustomize.sh"
    build = subprocess.run(
        [str(KUSTOMIZE), "build", str(PROJECT_ROOT / "deployments" / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
    )
    return tuple(doc for doc in yaml.safe_load_all(build.stdout) if doc)


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in rendered(overlay) if o["kind"] == kind}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_kubernetes_object_matches_the_schemas(overlay: str) -> None:
    version = kubernetes_validate.latest_version()
    for resource in rendered(overlay):
        if resource["kind"] in DAPR_KINDS:
            assert resource["apiVersion"] == "dapr.io/v1alpha1"
            assert resource["metadata"]["name"] and isinstance(resource["spec"], dict)
        else:
            kubernetes_validate.validate(resource, version, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_app_ids_and_ports_agree_with_dapr_yaml(overlay: str) -> None:
    deployments = of_kind(overlay, "Deployment")
    local = {spec.app_id: spec.app_port for spec in RunFile.load().apps.values()}

    annotated = {
        d["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-id"]: int(
            d["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-port"]
        )
        for d in deployments.values()
    }
    assert annotated == local
    for deployment in deployments.values():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        app_id = deployment["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-id"]
        assert container["ports"][0]["containerPort"] == local[app_id]
        assert {"startupProbe", "livenessProbe", "readinessProbe"} <= set(container)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_component_and_config_names_agree_with_the_local_ones(overlay: str) -> None:
    local = RunFile.load()
    local_components = {
        yaml.safe_load(path.read_text())["metadata"]["name"]
        for folder in local.resources_paths
        for path in folder.glob("*.yaml")
        if yaml.safe_load(path.read_text())["kind"] == "Component"
    }
    configs = of_kind(overlay, "Configuration")
    used_configs = {
        d["spec"]["template"]["metadata"]["annotations"]["dapr.io/config"]
        for d in of_kind(overlay, "Deployment").values()
    }

    assert set(of_kind(overlay, "Component")) == local_components
    assert used_configs == set(configs)
    assert yaml.safe_load(local.config_path.read_text())["metadata"]["name"] in configs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_resiliency_and_secret_names_match(overlay: str) -> None:
    local = yaml.safe_load((PROJECT_ROOT / "config" / "resiliency.yaml").read_text())
    (cluster,) = of_kind(overlay, "Resiliency").values()
    referenced = {
        item["secretKeyRef"]["name"]
        for component in of_kind(overlay, "Component").values()
        for item in component["spec"]["metadata"]
        if "secretKeyRef" in item
    }
    tokens = {
        d["spec"]["template"]["metadata"]["annotations"]["dapr.io/app-token-secret"]
        for d in of_kind(overlay, "Deployment").values()
    }

    assert cluster["spec"] == local["spec"]
    assert referenced | tokens == CLUSTER_SECRETS
