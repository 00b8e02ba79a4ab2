"""Pods: the network namespace an app and its daprd share, as on Kubernetes.

podman has pods. Docker has not, so there a pause container holds the namespace and the others
join it, which is what a pod's infra container is.
"""

from devstack.engine import address_on, engine, is_podman
from devstack.images import PYTHON_IMAGE


def create_pod(name: str, network: str, labels: list[str], ports: tuple[int, ...]) -> None:
    """A running pod on `network`, its `ports` published on 127.0.0.1 under the same numbers."""
    published = [f"--publish=127.0.0.1:{port}:{port}" for port in ports]
    if is_podman():
        engine("pod", "create", f"--name={name}", f"--network={network}", *labels, *published)
        engine("pod", "start", name)
    else:
        hardened = ["--read-only", "--cap-drop=ALL", "--security-opt=no-new-privileges", "--init"]
        engine(
            "run",
            "--detach",
            f"--name={name}",
            f"--network={network}",
            *labels,
            *published,
            *hardened,
            PYTHON_IMAGE,
            "sleep",
            "infinity",
        )


def in_pod(name: str) -> list[str]:
    """What puts a container into the pod (`podman run` / `docker run` arguments)."""
    return [f"--pod={name}"] if is_podman() else [f"--network=container:{name}"]


def pod_address(name: str, network: str) -> str:
    """The pod's address on `network`, where other pods reach its daprd."""
    if is_podman():
        return address_on(engine("pod", "inspect", "--format={{.InfraContainerID}}", name), network)
    return address_on(name, network)


def remove_pods(names: list[str]) -> None:
    """Removes the pods (with what is left in them under podman)."""
    if names:
        remove = ["pod", "rm", "--force", "--time=10"] if is_podman() else ["rm", "--force"]
        engine(*remove, *names, check=False, timeout=60)
