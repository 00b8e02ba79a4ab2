import json
from pathlib import Path

import pytest
import yaml

from devstack.processes import ManagedProcess
from devstack.runfile import PROFILES, RunFile
from devstack.runtime import pinned_version
from devstack.secrets import ensure_local_secrets


def test_run_file_describes_both_apps_on_loopback_dev_ports() -> None:
    run_file = RunFile.load()

    assert {app.app_id: app.app_port for app in run_file.apps.values()} == {
        "orders": 8000,
        "payments": 8001,
    }
    assert run_file.env["DAPR_HOST_IP"] == "127.0.0.1"
    assert all(path.is_dir() for path in run_file.resources_paths)


def test_free_ports_differ_from_the_dev_ports() -> None:
    orders = RunFile.load().apps["orders"]
    moved = orders.on_free_ports()

    assert moved.app_id == "orders"
    assert {moved.app_port, moved.http_port, moved.grpc_port}.isdisjoint({8000, 3500, 50001})


def test_local_secrets_are_generated_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / ".data" / "secrets.json"
    ensure_local_secrets(path)
    first = json.loads(path.read_text())
    ensure_local_secrets(path)

    assert json.loads(path.read_text()) == first
    assert len(first["jwt-signing-key"]) >= 48
    assert path.stat().st_mode & 0o077 == 0


def test_each_tenant_gets_an_administrator_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "secrets.json"
    monkeypatch.delenv("TENANCY_TENANTS", raising=False)
    ensure_local_secrets(path)
    assert json.loads(json.loads(path.read_text())["tenant-admins"]) == {}

    ensure_local_secrets(path, ["acme"])
    acme = json.loads(json.loads(path.read_text())["tenant-admins"])["acme"]
    monkeypatch.setenv("TENANCY_TENANTS", '["acme", "globex"]')
    ensure_local_secrets(path)
    admins = json.loads(json.loads(path.read_text())["tenant-admins"])

    assert admins["acme"] == acme and acme["email"] == "admin@acme.example.com"
    assert set(admins) == {"acme", "globex"} and len(admins["globex"]["password"]) >= 24


@pytest.mark.parametrize("profile", PROFILES)
def test_every_profile_carries_the_component_names_the_code_uses(profile: str) -> None:
    paths = RunFile.load().with_profile(profile).resources_paths
    names = [
        yaml.safe_load(component.read_text())["metadata"]["name"]
        for path in paths
        for component in path.glob("*.yaml")
        if yaml.safe_load(component.read_text())["kind"] == "Component"
    ]
    wanted = ["statestore", "pubsub", "secretstore", "notifications", "images"]
    # The flags' configuration store, where the profile's server has one; without it the
    # flags come from `statestore` (app/flag_sources.py).
    if profile != "embedded":
        wanted.append("configstore")
    assert sorted(names) == sorted(wanted)


def test_runtime_version_is_pinned_once() -> None:
    assert pinned_version().count(".") == 2


def test_a_failure_report_keeps_the_warnings_and_errors_from_before_the_last_lines(
    tmp_path: Path,
) -> None:
    log = tmp_path / "orders.log"
    early = [
        'time="t" level=warning msg="placement unreachable"',
        '{"event": "activity failed", "level": "error"}',
        "2026-12-03 10:00:00 [error    ] turn refused",
    ]
    quiet = [f'level=info msg="call {n}"' for n in range(200)]
    log.write_text("\n".join([early[0], *quiet[:50], *early[1:], *quiet[50:]]))
    process = ManagedProcess("orders", ["true"], log, tmp_path, {})

    excerpt = process.log_excerpt(tail=80).splitlines()

    assert excerpt[1:4] == early
    assert excerpt[-80:] == quiet[-80:]
    assert not any("call 0" in line for line in excerpt)


def test_a_quiet_log_is_reported_by_its_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "orders.log"
    log.write_text("\n".join(f'level=info msg="call {n}"' for n in range(100)))

    excerpt = ManagedProcess("orders", ["true"], log, tmp_path, {}).log_excerpt(tail=80)

    assert excerpt.splitlines() == [f'level=info msg="call {n}"' for n in range(20, 100)]
