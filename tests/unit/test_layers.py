"""Imports run one way: domain ← actors ← workflows ← app, and both apps share `common`, which
imports none of them. A new back-edge fails here, naming the module and what it imports."""

import pytest

from devstack.runtime import PROJECT_ROOT
from tests.unit.test_domain_is_pure import imported_roots

# What each top-level package may import of the project's own packages.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "common": set(),
    "actors": {"domain", "common"},
    "workflows": {"actors", "domain", "common"},
    "app": {"workflows", "actors", "domain", "common"},
    "payments": {"common"},
    "devstack": set(),
    # The benchmarks lay out read models with the app's own code to seed them.
    "bench": {"devstack", "app", "common"},
}
PROJECT = set(ALLOWED) | {"tests"}


def back_edges(package: str, source: str) -> set[str]:
    project_imports = imported_roots(source) & PROJECT
    return project_imports - ALLOWED[package] - {package}


def test_every_package_imports_only_what_its_layer_allows() -> None:
    found = {
        str(path.relative_to(PROJECT_ROOT)): sorted(edges)
        for package in ALLOWED
        for path in sorted((PROJECT_ROOT / package).rglob("*.py"))
        if (edges := back_edges(package, path.read_text()))
    }

    assert found == {}


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("actors", "from app.metrics import X"),
        ("workflows", "import app.checkout"),
        ("common", "from actors.outcome import Refused"),
        ("payments", "from app.settings import OrdersSettings"),
        ("domain", "from common.state import Documents"),
        ("devstack", "from tests.controls import kill_app"),
    ],
)
def test_the_check_catches_a_back_edge(package: str, source: str) -> None:
    assert back_edges(package, source)


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("app", "from workflows.checkout import checkout"),
        ("workflows", "from actors.clients import InventoryActors"),
        ("payments", "from common.caller import CallerKey"),
        ("actors", "import json"),
    ],
)
def test_the_check_lets_the_allowed_direction_through(package: str, source: str) -> None:
    assert not back_edges(package, source)
