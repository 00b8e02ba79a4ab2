"""`dapr run -f dapr.yaml` from a fresh clone, after only `make prepare`.

The dapr CLI cannot be built here, so this starts each daprd and app as the CLI 1.18 does for
a run file (github.com/dapr/cli, v1.18.0):
- pkg/runfileconfig/run_file_config_parser.go: relative paths (resourcesPaths,
  configFilePath, appDirPath) are resolved against the run file's folder;
- pkg/standalone/run.go, RunConfig.getArgs: each field with an `arg` tag becomes a flag
  (--app-id, --app-port, --dapr-http-port, --dapr-grpc-port, --metrics-port, --config,
  --app-protocol, --dapr-listen-addresses, --log-level, one --resources-path per path,
  and the defaults --max-body-size 4Mi, --read-buffer-size 4Ki);
- cmd/run.go, startDaprdAndAppProcesses: daprd and the app run in appDirPath; daprd inherits
  the CLI's environment, the app gets it plus APP_ID, APP_PORT, DAPR_HTTP_PORT, DAPR_GRPC_PORT,
  DAPR_METRICS_PORT, APP_PROTOCOL and the run file's `env` (RunConfig.getEnv).
Two deliberate differences: free ports instead of the run file's, so the test runs beside a
`make run`, and the placement and scheduler addresses of the control plane the test starts
(the CLI leaves them to `dapr init`'s defaults).
"""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from devstack.prepare import prepare
from devstack.processes import ManagedProcess, free_port, wait_until
from devstack.runfile import RunFile
from devstack.runtime import PROJECT_ROOT, ensure_runtime
from devstack.stack import Stack

DEFAULT_ARGS = ["--max-body-size", "4Mi", "--read-buffer-size", "4Ki"]


def fresh_clone(into: Path) -> Path:
    files = (
        subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, check=True, capture_output=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, files):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / name, target)
    return into


def daprd_args(
    app: dict[str, Any], common: dict[str, Any], base: Path, ports: dict[str, int]
) -> list[str]:
    """The flags the CLI derives from one app of the run file."""
    args = [
        "--app-id", app["appID"],
        "--app-port", str(ports["appPort"]),
        "--dapr-http-port", str(ports["daprHTTPPort"]),
        "--dapr-grpc-port", str(ports["daprGRPCPort"]),
        "--metrics-port", str(ports["metricsPort"]),
        "--config", str((base / common["configFilePath"]).resolve()),
        "--app-protocol", common.get("appProtocol", "http"),
        "--dapr-listen-addresses", common["apiListenAddresses"],
        "--log-level", common.get("logLevel", "info"),
    ]  # fmt: skip
    for path in common["resourcesPaths"]:
        args += ["--resources-path", str((base / path).resolve())]
    return args + DEFAULT_ARGS


def app_env(app: dict[str, Any], common: dict[str, Any], ports: dict[str, int]) -> dict[str, str]:
    return {
        "APP_ID": app["appID"],
        "APP_PORT": str(ports["appPort"]),
        "DAPR_HTTP_PORT": str(ports["daprHTTPPort"]),
        "DAPR_GRPC_PORT": str(ports["daprGRPCPort"]),
        "DAPR_METRICS_PORT": str(ports["metricsPort"]),
        "APP_PROTOCOL": common.get("appProtocol", "http"),
        **{name: str(value) for name, value in common.get("env", {}).items()},
    }


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield fresh_clone(tmp_path_factory.mktemp("clone"))


def test_both_apps_come_up_ready_under_the_clis_arguments(clone: Path) -> None:
    prepare(clone)
    bin_dir = ensure_runtime()
    control_plane = Stack(bin_dir, clone, RunFile.load(clone / "dapr.yaml"))
    started: list[ManagedProcess] = []
    try:
        control_plane.start_control_plane()
        started += control_plane.processes
        run_file = yaml.safe_load((clone / "dapr.yaml").read_text())
        common = run_file["common"]
        placement = control_plane.members["placement"][0].address
        scheduler = control_plane.members["scheduler"][0].address
        for app in run_file["apps"]:
            ports = {
                name: free_port()
                for name in ("appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort")
            }
            app_dir = (clone / app["appDirPath"]).resolve()
            argv = [
                str(bin_dir / "daprd"),
                *daprd_args(app, common, clone, ports),
                f"--placement-host-address={placement}",
                f"--scheduler-host-address={scheduler}",
            ]
            log_dir = clone / ".dapr" / "logs"
            daprd = ManagedProcess(
                f"daprd-{app['appID']}", argv, log_dir / f"daprd-{app['appID']}.log", app_dir, {}
            )
            command = [
                sys.executable if app["command"][0] == "python" else app["command"][0],
                *app["command"][1:],
            ]
            env = {**app_env(app, common, ports), "PYTHONPATH": str(clone)}
            process = ManagedProcess(
                app["appID"], command, log_dir / f"{app['appID']}.log", app_dir, env
            )
            started += [daprd.start(), process.start()]
            url = f"http://127.0.0.1:{ports['appPort']}/health/ready"
            wait_until(
                partial(_ready, url),
                what=f"{app['appID']} ready",
                timeout=90,
                watch=[daprd, process],
            )
    finally:
        for process in reversed(started):
            process.stop()
        control_plane.stop()

    assert (clone / ".data" / "secrets.json").exists()
    assert (clone / ".data" / "state.db").exists()


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False
