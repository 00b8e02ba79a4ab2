"""Which stack runs: processes on loopback (default) or containers, as DAPR_STACK says
(`make run RUNTIME=containers` sets it)."""

import os
from pathlib import Path

from devstack.containers import ContainerStack
from devstack.runfile import RunFile
from devstack.runtime import ensure_runtime
from devstack.stack import Stack
from devstack.testcontainer_servers import servers_line

KINDS = ("processes", "containers")


def stack_kind() -> str:
    kind = os.environ.get("DAPR_STACK", "processes")
    if kind not in KINDS:
        raise ValueError(f"DAPR_STACK={kind!r}: choose one of {', '.join(KINDS)}")
    return kind


def new_stack(workdir: Path, run_file: RunFile, *, control_plane_size: int = 1) -> Stack:
    """The kind of stack DAPR_STACK names; the container stack runs images of the same binaries."""
    kind = ContainerStack if stack_kind() == "containers" else Stack
    return kind(ensure_runtime(), workdir, run_file, control_plane_size=control_plane_size)


def stack_line() -> str:
    """One line for a test run's header: which stack, profile and servers."""
    profile = os.environ.get("DAPR_PROFILE", "embedded")
    line = f"dapr-commerce stack: {stack_kind()}, profile {profile}"
    if profile != "embedded" and stack_kind() == "processes":
        line += f", servers: {servers_line()}"
    return line
