import re
from dataclasses import replace
from pathlib import Path

import pytest

from devstack.containers import ContainerStack, _internal_grpc_port
from devstack.engine import _text_of
from devstack.runfile import RunFile
from devstack.runtime import PROJECT_ROOT
from devstack.stack import CONTROL_PLANE, Member
from devstack.stacks import new_stack

# Top-level packages that only the launcher, the benchmarks and the tests use.
NOT_IN_THE_IMAGE = {"devstack", "bench", "tests"}


def container_stack(tmp_path: Path, members: int = 1) -> ContainerStack:
    """A stack that has not started anything, with its members named as it names them."""
    stack = ContainerStack(tmp_path, tmp_path, RunFile.load(), control_plane_size=members)
    for kind in CONTROL_PLANE:
        stack.members[kind] = [
            Member(kind, i, kind if members == 1 else f"{kind}-{i}") for i in range(members)
        ]
    return stack


def test_the_image_gets_every_package_the_apps_may_import() -> None:
    packages = {p.parent.name for p in PROJECT_ROOT.glob("*/__init__.py")} - NOT_IN_THE_IMAGE
    allowed = set(re.findall(r"^!(\w+)/$", (PROJECT_ROOT / ".dockerignore").read_text(), re.M))

    assert packages <= allowed


def test_the_dockerfile_installs_the_uv_the_makefile_pins() -> None:
    pinned = re.search(r"^UV_VERSION := (\S+)", (PROJECT_ROOT / "Makefile").read_text(), re.M)
    default = re.search(r"^ARG UV_VERSION=(\S+)", (PROJECT_ROOT / "Dockerfile").read_text(), re.M)

    assert pinned and default and pinned[1] == default[1]


def test_a_sidecar_mounts_components_read_only_and_shares_the_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("CONTAINER_ENGINE", raising=False)
    stack = container_stack(tmp_path)
    argv = stack._daprd_run_argv(stack.run_file.apps["orders"], "pod")

    mounts = [arg.removeprefix("--volume=") for arg in argv if arg.startswith("--volume=")]
    assert mounts[0] == f"{tmp_path / '.data'}:/dapr/.data:U"
    assert all(mount.endswith(":ro") for mount in mounts[1:])
    assert len(mounts) == 2 + len(stack.run_file.resources_paths)
    assert "--read-only" in argv and "--cap-drop=ALL" in argv


def test_a_highly_available_control_plane_finds_its_peers_by_container_name(
    tmp_path: Path,
) -> None:
    stack = container_stack(tmp_path, members=3)
    placement = stack._placement_argv(stack.members["placement"][1])
    scheduler = stack._scheduler_argv(stack.members["scheduler"][2])
    daprd = stack._daprd_run_argv(stack.run_file.apps["orders"], "pod")

    peers = next(arg for arg in placement if arg.startswith("--initial-cluster="))
    assert peers.count(f"={stack.name}-placement-") == 3
    assert "--id=dapr-placement-1" in placement
    assert "--etcd-data-dir=/dapr/.data/scheduler-2" in scheduler
    assert any(
        arg.startswith(f"--override-broadcast-host-port={stack.name}-scheduler-2:")
        for arg in scheduler
    )
    addresses = next(arg for arg in daprd if arg.startswith("--placement-host-address="))
    assert addresses.count(stack.name) == 3


def test_the_internal_grpc_port_keeps_clear_of_the_apps_own() -> None:
    payments = RunFile.load().apps["payments"]  # its gRPC API is on 50002 in dapr.yaml

    assert _internal_grpc_port(payments) == 50003
    assert _internal_grpc_port(replace(payments, grpc_port=50001)) == 50002


def test_engine_log_lines_read_as_the_process_wrote_them() -> None:
    assert _text_of("2026-12-02T06:00:36.01Z stdout F started on :8000") == "started on :8000"
    assert _text_of("no prefix here") == "no prefix here"


def test_an_unknown_stack_kind_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DAPR_STACK", "vms")

    with pytest.raises(ValueError, match="DAPR_STACK='vms'"):
        new_stack(tmp_path, RunFile.load())
