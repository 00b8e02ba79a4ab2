"""`make run`: the control plane and both apps of dapr.yaml, on loopback, until Ctrl-C.

REPLICAS=N (default 1) runs N replicas of each app, each beside its own daprd, with a highly
available control plane (3 placement in Raft, 3 scheduler in one etcd cluster) and HAProxy in
front of the `orders` replicas on the run file's port.

DAPR_STACK=containers (`make run RUNTIME=containers`) runs the same as containers: a pod per
replica and a container per control-plane member (devstack/containers.py).
"""

import os
import signal
import sys
import threading

from devstack.runfile import RunFile
from devstack.runtime import PROJECT_ROOT
from devstack.stack import Stack
from devstack.stacks import new_stack, stack_kind

HA_MEMBERS = 3


def replicas_wanted(value: str | None) -> int:
    """REPLICAS from the environment: a whole number from 1 up."""
    if value is None or value == "":
        return 1
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"REPLICAS={value!r}: give a whole number of replicas, 1 or more")
    return int(value)


def main() -> int:
    try:
        replicas = replicas_wanted(os.environ.get("REPLICAS"))
        run_file = RunFile.load().with_profile(os.environ.get("DAPR_PROFILE", "embedded"))
        stack_kind()  # a wrong DAPR_STACK is one line too
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if collector := os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        run_file = run_file.with_trace_collector(collector, PROJECT_ROOT / ".data" / "config.yaml")
    members = HA_MEMBERS if replicas > 1 else 1
    stack = new_stack(PROJECT_ROOT, run_file, control_plane_size=members)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start_control_plane()
        for spec in run_file.apps.values():
            door = spec.app_port if replicas > 1 and spec.app_id == "orders" else None
            stack.start_replicas(spec, replicas, front_door_port=door)
        _print_where(stack)
        # From here Ctrl-C asks for a clean stop instead of interrupting a wait.
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        while not stopping.wait(timeout=1.0):
            if crashed := [p for p in stack.processes if not p.running]:
                raise RuntimeError(f"{crashed[0].name} exited:\n{crashed[0].log_tail()}")
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, TimeoutError) as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    finally:
        print("\nstopping...", file=sys.stderr)
        stack.stop()
    return 0


def _print_where(stack: Stack) -> None:
    lines = [""]
    for app_id, replicas in stack.replicas.items():
        front = stack.front_doors.get(app_id)
        if front:
            lines.append(f"{app_id:9} API  {front}   (front door over {len(replicas)} replicas)")
        for replica in replicas:
            lines.append(
                f"{replica.name:9} app  {replica.url}   docs {replica.url}/docs   "
                f"sidecar {replica.dapr_url}"
            )
    members = {kind: len(found) for kind, found in stack.members.items()}
    lines += [
        f"control plane  {members['placement']} placement, {members['scheduler']} scheduler",
        f"logs           {stack.log_dir.relative_to(PROJECT_ROOT)}/ (one file per process)",
        f"profile        {stack.run_file.profile}",
        "",
        f"try:  curl {stack.url_of('orders')}/health/ready",
        f'      curl -H "dapr-api-token: $TOKEN" '
        f"{stack.apps['orders'].dapr_url}/v1.0/invoke/orders/method/health/ready",
        '      (TOKEN: "orders-dapr-api-token" in .data/secrets.json; README "Try it" signs in)',
        "Ctrl-C stops everything.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
