import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test by its folder, so `-m unit` and `-m e2e` select whole suites."""
    for item in items:
        for suite in ("unit", "e2e", "faults"):
            if f"/tests/{suite}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, suite))
