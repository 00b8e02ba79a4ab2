"""The k8s tier: one cluster per session (cluster/up.sh, then Dapr with its Helm chart), the
images imported, the service deployed; afterwards every container's log is saved to
.cluster/logs/test-k8s/ and the cluster is stopped, whatever happened (K8S_KEEP=1 leaves it
running, to look at)."""

import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.k8s.cluster import (
    APP_IMAGE,
    FIGURES,
    LOGS,
    REDIS_IMAGE,
    Deployed,
    deploy,
    save_logs,
    script,
)


@pytest.fixture(scope="session")
def cluster() -> Iterator[None]:
    started = time.monotonic()
    try:
        script("build.sh", "cluster")
        script("build.sh", "dapr")
        FIGURES["cluster_up_s"] = round(script("up.sh"), 1)
        FIGURES["dapr_install_s"] = round(script("dapr.sh"), 1)
        # The app image as built (make image IMAGE=...) goes in under the overlay's name.
        source = os.environ.get("K8S_APP_IMAGE", APP_IMAGE)
        FIGURES["images_import_s"] = round(
            script("images.sh", f"{source}={APP_IMAGE}", REDIS_IMAGE), 1
        )
        yield
    finally:
        try:
            save_logs(LOGS / "test-k8s")
        except (AssertionError, OSError) as error:  # a cluster that never came up has no logs
            sys.stderr.write(f"no pod logs saved: {error}\n")
        if not os.environ.get("K8S_KEEP"):
            down = time.monotonic()
            script("down.sh")
            FIGURES["cluster_down_s"] = round(time.monotonic() - down, 1)
        FIGURES["session_s"] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="session")
def deployed(cluster: None) -> Deployed:  # noqa: ARG001 (the cluster must be up)
    service = deploy()
    FIGURES.update(service.figures)
    return service


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("-", "k8s figures")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
    LOGS.mkdir(parents=True, exist_ok=True)
    (LOGS / "test-k8s.json").write_text(json.dumps(FIGURES, indent=2))
