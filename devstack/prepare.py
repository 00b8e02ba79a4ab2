"""`make prepare`: what the components need before any sidecar starts, so `dapr run -f
dapr.yaml` works from a fresh clone as `make run` does: the data folder the SQLite files go
in, and the local secret store's file with generated values."""

import sys
from pathlib import Path

from devstack.runtime import PROJECT_ROOT
from devstack.secrets import ensure_local_secrets


def prepare(root: Path = PROJECT_ROOT) -> Path:
    data = root / ".data"
    data.mkdir(parents=True, exist_ok=True)
    ensure_local_secrets(data / "secrets.json")
    return data


if __name__ == "__main__":
    prepared = prepare(Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT)
    print(f"prepared {prepared}: data folder and local secrets")  # noqa: T201
