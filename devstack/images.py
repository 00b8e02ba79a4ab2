"""The images the container stack runs, built (or found cached) by the Makefile's `images`."""

import functools
import os
import subprocess

from devstack.runtime import PROJECT_ROOT, pinned_version

PREFIX = "localhost/dapr-commerce"
APP_IMAGE = os.environ.get("IMAGE", f"{PREFIX}/app:dev")
PYTHON_IMAGE = f"{PREFIX}/python:3.11-bookworm"
SERVER_IMAGES = {
    "redis": f"{PREFIX}/redis:7-bookworm",
    "postgres": f"{PREFIX}/postgres:15-bookworm",
}


def dapr_image(name: str) -> str:
    """daprd, placement or scheduler at the pinned runtime version."""
    return f"{PREFIX}/{name}:{pinned_version()}"


@functools.cache
def ensure_images() -> None:
    """`make images`, once per process (a test session starts several stacks): a few seconds
    when every image is there and its inputs unchanged."""
    make = ["make", "--no-print-directory", "--silent", "-C", str(PROJECT_ROOT)]
    if subprocess.run([*make, "images", f"IMAGE={APP_IMAGE}"], check=False).returncode != 0:
        raise RuntimeError("`make images` failed (its error is above)")
