"""Faults the tests inject into a running stack: processes killed as a crash would kill them,
and started again. Each control names the replica or control-plane member it breaks.

On the container stack (devstack/containers.py) every handle is a `Container`: its kill is the
engine's, the stack starts it again, and freezing it is the engine's pause."""

import os
import signal

import httpx

from devstack.engine import Container
from devstack.processes import ManagedProcess
from devstack.stack import Member, RunningApp, Stack


def replica(stack: Stack, app_id: str, index: int = 0) -> RunningApp:
    return stack.replicas[app_id][index]


def kill_app(stack: Stack, app_id: str, index: int = 0) -> None:
    """SIGKILLs the app (not its sidecar)."""
    replica(stack, app_id, index).app.kill()


def revive_app(stack: Stack, app_id: str, index: int = 0) -> None:
    """Starts a killed app again beside its sidecar and waits until it is ready."""
    stack.start_app_process(replica(stack, app_id, index))


def crash_and_restart(stack: Stack, app_id: str, index: int = 0) -> None:
    kill_app(stack, app_id, index)
    revive_app(stack, app_id, index)


def kill_sidecar(stack: Stack, app_id: str, index: int = 0) -> None:
    """SIGKILLs the app's daprd; the app keeps running."""
    replica(stack, app_id, index).daprd.kill()


def start_sidecar(stack: Stack, app_id: str, index: int = 0) -> None:
    stack.start_sidecar(replica(stack, app_id, index))


def member(stack: Stack, kind: str, index: int = 0) -> Member:
    return stack.members[kind][index]


def kill_member(stack: Stack, kind: str, index: int = 0) -> None:
    """SIGKILLs a placement or scheduler process."""
    process = member(stack, kind, index).process
    assert process is not None
    process.kill()


def start_member(stack: Stack, kind: str, index: int = 0) -> None:
    stack.start_member(member(stack, kind, index))


def server(stack: Stack, name: str) -> ManagedProcess:
    """A server the stack started for its profile (`redis`, `postgres`, `webhook-sink`)."""
    return next(p for p in stack.processes if p.name == name and p.running)


def freeze(process: ManagedProcess) -> None:
    """SIGSTOP: the process keeps its connections and data but answers nothing."""
    if isinstance(process, Container):
        process.freeze()
        return
    assert process.popen is not None
    os.killpg(process.popen.pid, signal.SIGSTOP)


def thaw(process: ManagedProcess) -> None:
    if isinstance(process, Container):
        process.thaw()
        return
    assert process.popen is not None
    os.killpg(process.popen.pid, signal.SIGCONT)


def placement_leader(stack: Stack) -> int:
    """Which placement member leads the Raft cluster now, by its own leader metric."""
    for placement in stack.members["placement"]:
        try:
            text = httpx.get(f"http://127.0.0.1:{placement.metrics_port}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        for line in text.splitlines():
            if line.startswith("dapr_placement_leader_status") and line.rstrip().endswith(" 1"):
                return placement.index
    raise LookupError("no placement member says it leads")
