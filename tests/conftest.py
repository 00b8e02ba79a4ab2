import pytest

from devstack.stacks import stack_line

# Where a test lives says what it needs: the folders are the tiers.
TIERS = ("unit", "api", "manifests", "e2e", "replicas", "faults", "k8s")
# Tests that need no sidecar finish in seconds; a hang fails fast.
FAST_TIERS = {"unit": 30, "api": 30}


def pytest_report_header() -> str:
    """Which stack the end-to-end tests start, on which profile, with which servers."""
    return stack_line()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks each test by its folder, so `-m unit`, `-m api`, `-m e2e` select whole tiers."""
    for item in items:
        for tier in TIERS:
            if f"/tests/{tier}/" in str(item.path):
                item.add_marker(getattr(pytest.mark, tier))
                if tier in FAST_TIERS:
                    item.add_marker(pytest.mark.timeout(FAST_TIERS[tier]))
