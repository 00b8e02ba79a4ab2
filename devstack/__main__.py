"""`make run`: the control plane and both apps of dapr.yaml, on their dev ports, until Ctrl-C."""

import os
import signal
import sys
import threading

from devstack.runfile import RunFile
from devstack.runtime import PROJECT_ROOT, ensure_runtime
from devstack.stack import Stack


def main() -> int:
    bin_dir = ensure_runtime()
    run_file = RunFile.load().with_profile(os.environ.get("DAPR_PROFILE", "embedded"))
    if collector := os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        run_file = run_file.with_trace_collector(collector, PROJECT_ROOT / ".data" / "config.yaml")
    stack = Stack(bin_dir=bin_dir, workdir=PROJECT_ROOT, run_file=run_file)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start_control_plane()
        for spec in run_file.apps.values():
            stack.start_app(spec)
        _print_where(stack)
        # From here Ctrl-C asks for a clean stop instead of interrupting a wait.
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        while not stopping.wait(timeout=1.0):
            if crashed := [p for p in stack.processes if not p.running]:
                raise RuntimeError(f"{crashed[0].name} exited:\n{crashed[0].log_tail()}")
    except KeyboardInterrupt:
        return 130
    except (RuntimeError, TimeoutError) as error:
        print(f"\n{error}", file=sys.stderr)
        return 1
    finally:
        print("\nstopping...", file=sys.stderr)
        stack.stop()
    return 0


def _print_where(stack: Stack) -> None:
    orders, payments = stack.apps["orders"], stack.apps["payments"]
    print(
        f"""
orders    API  {orders.url}/api/v1   docs {orders.url}/docs   sidecar {orders.dapr_url}
payments  API  {payments.url}        docs {payments.url}/docs   sidecar {payments.dapr_url}
logs           {stack.log_dir.relative_to(PROJECT_ROOT)}/ (one file per process)
profile        {stack.run_file.profile}

try:  curl {orders.url}/health/ready
      curl -H "dapr-api-token: $TOKEN" {orders.dapr_url}/v1.0/invoke/orders/method/health/ready
      (TOKEN: "dapr-api-token" in .data/secrets.json; README "Try it" signs in to the API)
Ctrl-C stops everything.""",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
