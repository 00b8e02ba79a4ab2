"""The stack a benchmark measures: the control plane and one replica of each app, started from
the run file on this machine's loopback, on the profile DAPR_PROFILE names."""

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from devstack.runfile import RunFile
from devstack.runtime import ensure_runtime
from devstack.stack import RunningApp, Stack


def profile() -> str:
    return os.environ.get("DAPR_PROFILE", "embedded")


@contextmanager
def bench_stack(
    prefix: str, orders_env: Mapping[str, str], profile_port: int | None = None
) -> Iterator[tuple[Stack, RunningApp]]:
    """The stack and its `orders` app (its environment with `orders_env` added, and py-spy's
    port when the benchmark profiles it); stopped on the way out, whatever happened."""
    run_file = RunFile.load().with_profile(profile())
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        stack = Stack(ensure_runtime(), Path(workdir), run_file)
        try:
            stack.start_control_plane()
            stack.start_app(run_file.apps["payments"].on_free_ports())
            spec = run_file.apps["orders"].on_free_ports()
            env = {**spec.env, **orders_env}
            yield stack, stack.start_app(replace(spec, env=env, profile_port=profile_port))
        finally:
            stack.stop()
