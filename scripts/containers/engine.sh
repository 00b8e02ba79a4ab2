# Sourced by the container scripts: which engine builds (podman, or CONTAINER_ENGINE=docker),
# the project's containers.conf for podman, and one-line errors naming what to install.
CONTAINERS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROJECT_ROOT="$(cd "$CONTAINERS_DIR/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$CONTAINERS_DIR/containers.conf}"
ENGINE="${CONTAINER_ENGINE:-podman}"
IMAGE_PREFIX=localhost/dapr-commerce
LABEL_INPUTS=org.dapr-commerce.inputs

case "$ENGINE" in
  podman | docker) ;;
  *) echo "CONTAINER_ENGINE=$ENGINE: choose podman or docker" >&2; exit 2 ;;
esac

need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 && continue
    case "$tool" in
      docker) echo "docker is missing: install Docker, or use podman (\`make containers\`)" >&2 ;;
      *) echo "$tool is missing: run \`make containers\` (Debian packages podman, runc, mmdebstrap)" >&2 ;;
    esac
    exit 1
  done
}

# The inputs label of an image, empty when the image does not exist.
image_inputs() {
  "$ENGINE" image inspect --format "{{ index .Config.Labels \"$LABEL_INPUTS\" }}" "$1" 2>/dev/null || true
}

image_id() {
  "$ENGINE" image inspect --format '{{.Id}}' "$1" 2>/dev/null || true
}

# Removes an image a rebuild replaced (kept while something still uses it).
drop_image() {
  [ -z "$1" ] || [ "$1" = "$(image_id "$2")" ] || "$ENGINE" rmi "$1" >/dev/null 2>&1 || true
}

image_size() {
  "$ENGINE" image inspect --format '{{.Size}}' "$1" | numfmt --to=iec
}
