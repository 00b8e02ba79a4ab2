#!/usr/bin/env bash
# Installs podman, buildah, runc, mmdebstrap and iptables from Debian packages, if missing: the
# engine that builds and runs the project's images (`make image`, `make run RUNTIME=containers`).
# The project's own containers.conf (scripts/containers/containers.conf, through CONTAINERS_CONF)
# sets what this machine needs; nothing under /etc is changed. With CONTAINER_ENGINE=docker only
# mmdebstrap is needed (Docker itself is the user's).
set -euo pipefail

missing=()
if [ "${CONTAINER_ENGINE:-podman}" = docker ]; then
  command -v docker >/dev/null 2>&1 ||
    { echo "docker is missing: install Docker, or leave CONTAINER_ENGINE unset for podman" >&2; exit 1; }
  command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
else
  for tool in podman buildah runc mmdebstrap; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  # Network DNS between containers (netavark + aardvark-dns) and the init of podman's local
  # pause image for pods (catatonit): podman only recommends them.
  [ -x /usr/lib/podman/netavark ] || missing+=(netavark)
  [ -x /usr/lib/podman/aardvark-dns ] || missing+=(aardvark-dns)
  [ -x /usr/libexec/podman/catatonit ] || missing+=(catatonit)
  # netavark sets up each network's NAT and port forwarding with the iptables command; without
  # it every container start fails with "netavark: No such file or directory".
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

bash "$(dirname "$0")/apt-install.sh" containers "${missing[@]}"
