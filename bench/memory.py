"""B6: resident memory of each app and sidecar, read from /proc."""

from devstack.stack import Stack


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status").read().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def sample(stack: Stack) -> dict[str, float]:
    """MiB per process: each app and its daprd."""
    figures = {}
    for app_id, running in stack.apps.items():
        for name, process in ((app_id, running.app), (f"daprd-{app_id}", running.daprd)):
            assert process.popen is not None
            figures[name] = rss_mib(process.popen.pid)
    return figures


def growth_percent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(100 * (after[name] - before[name]) / before[name], 1) for name in before}
