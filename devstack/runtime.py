"""Where the project's pinned Dapr runtime lives, and how to get it."""

import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VERSIONS_FILE = PROJECT_ROOT / "scripts" / "dapr-versions.env"
BUILD_SCRIPT = PROJECT_ROOT / "scripts" / "build-dapr.sh"


def pinned_version() -> str:
    for line in VERSIONS_FILE.read_text().splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "DAPR_RUNTIME_VERSION":
            return value.strip()
    raise RuntimeError(f"DAPR_RUNTIME_VERSION is not set in {VERSIONS_FILE}")


def bin_dir() -> Path:
    return PROJECT_ROOT / ".dapr-runtime" / pinned_version() / "bin"


def ensure_runtime() -> Path:
    """Builds or reuses daprd, placement and scheduler at the pinned version; fast when cached."""
    subprocess.run(["bash", str(BUILD_SCRIPT)], check=True)
    return bin_dir()
