"""The domain imports nothing but the standard library and itself."""

import ast
import sys
from pathlib import Path

import pytest

import domain

DOMAIN = Path(domain.__file__).parent
ALLOWED = frozenset(sys.stdlib_module_names) | {"domain"}


def imported_roots(source: str) -> set[str]:
    """Top-level names a module imports; relative imports stay inside the package."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
        elif isinstance(node, ast.Call) and is_dynamic_import(node.func):
            roots.add("<dynamic import>")
    return roots


def is_dynamic_import(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )


def test_domain_modules_import_only_the_standard_library() -> None:
    modules = sorted(DOMAIN.rglob("*.py"))
    assert {"stock.py", "order.py", "catalog.py", "errors.py"} <= {path.name for path in modules}

    outside = {
        str(path.relative_to(DOMAIN)): sorted(imported_roots(path.read_text()) - ALLOWED)
        for path in modules
    }

    assert {module: roots for module, roots in outside.items() if roots} == {}


@pytest.mark.parametrize(
    "source",
    [
        "import dapr.actor",
        "from fastapi import FastAPI",
        "from pydantic import BaseModel",
        "import json, httpx",
        "def f():\n    import importlib\n    return importlib.import_module('dapr')",
    ],
)
def test_the_check_catches_a_framework_import(source: str) -> None:
    assert imported_roots(source) - ALLOWED


@pytest.mark.parametrize(
    "source",
    [
        "import json",
        "from dataclasses import field",
        "from domain.errors import X",
        "from . import y",
    ],
)
def test_the_check_lets_the_standard_library_and_the_domain_through(source: str) -> None:
    assert imported_roots(source) <= ALLOWED
