"""The domain imports nothing but the standard library and itself."""

import ast
import sys
from pathlib import Path

from devstack.runtime import PROJECT_ROOT


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_import_only_the_standard_library() -> None:
    allowed = set(sys.stdlib_module_names) | {"domain"}
    modules = sorted((PROJECT_ROOT / "domain").glob("*.py"))
    assert modules

    outside = {path.name: imported_roots(path) - allowed for path in modules}

    assert {name: roots for name, roots in outside.items() if roots} == {}
