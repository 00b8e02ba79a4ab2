#!/usr/bin/env bash
# build-image.sh IMAGE UV_VERSION: builds the project's Dockerfile on the Python base made from
# Debian packages (debian-image.sh python), or on PYTHON_IMAGE when set (the public
# python:3.11.14-slim-bookworm where a registry is reachable). Quiet when the image is unchanged.
set -euo pipefail
source "$(dirname "$0")/engine.sh"
need "$ENGINE"
image=${1:?usage: build-image.sh IMAGE UV_VERSION}
uv_version=${2:?usage: build-image.sh IMAGE UV_VERSION}

base=${PYTHON_IMAGE:-}
if [ -z "$base" ]; then
  bash "$CONTAINERS_DIR/debian-image.sh" python
  base="$IMAGE_PREFIX/python:3.11-bookworm"
fi
before=$(image_id "$image")
# Where TLS to PyPI passes through a proxy with its own CA, the host's bundle trusts it: the build
# steps see it through a bind mount (podman's), which is not committed into the image.
bundle=/etc/ssl/certs/ca-certificates.crt
trust=()
[ "$ENGINE" = podman ] && [ -f "$bundle" ] && trust=(--volume "$bundle:$bundle:ro")
log=$(mktemp /var/tmp/dapr-commerce-build.XXXXXX.log)
trap 'rm -f "$log"' EXIT
"$ENGINE" build "${trust[@]}" --build-arg "PYTHON_IMAGE=$base" \
  --build-arg "UV_VERSION=$uv_version" --tag "$image" "$PROJECT_ROOT" >"$log" 2>&1 ||
  { tail -n 30 "$log" >&2; echo "[containers] building $image failed (the build's log ends above)" >&2; exit 1; }
[ "$before" = "$(image_id "$image")" ] || echo "[containers] built $image: $(image_size "$image")" >&2
# The image this one replaced, unless a container still uses it (the build stage stays: it is
# the cache of the next build).
drop_image "$before" "$image"
