#!/usr/bin/env bash
# images.sh IMAGE[=NAME]...: puts images from podman's store into the running cluster's
# containerd, without a registry, under NAME (default: the same name), so that pods with
# `imagePullPolicy: Never` find them. `podman save` writes a docker-archive once per image id
# (kept in .cluster/build/images/podman/); `ctr images import` reads it. An image already
# imported into this cluster with the same id is skipped.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need_root
[ $# -gt 0 ] || fail "usage: cluster/images.sh IMAGE[=NAME]... (images in podman's store)"
cluster_up || fail "the cluster is not up: run make cluster first"
command -v podman >/dev/null 2>&1 || fail "podman is missing: run make containers"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$root/scripts/containers/containers.conf}"

archives="$images/podman"
imported="$run/imported" # one file per name, holding the id imported under it
mkdir -p "$archives" "$imported"
for spec in "$@"; do
  image=${spec%%=*} name=${spec#*=}
  id=$(podman image inspect --format '{{.Id}}' "$image" 2>/dev/null) ||
    fail "$image is not in podman's store: build it first (make image, make images)"
  record="$imported/$(tr '/:' '__' <<<"$name")"
  [ "$(cat "$record" 2>/dev/null)" = "$id" ] && continue
  archive="$archives/$id.tar"
  if [ ! -f "$archive" ]; then
    say "saving $image from podman..."
    # The archive names the image as podman does; the tag below gives it the wanted name.
    podman save --quiet --format docker-archive -o "$archive.partial" "$image"
    mv "$archive.partial" "$archive"
  fi
  say "importing $image into the cluster as $name..."
  ref=$(ctr images import "$archive" | sed -n 's/^unpacking \([^ ]*\) .*/\1/p' | head -n1)
  [ -n "$ref" ] || fail "ctr did not import $archive"
  [ "$ref" = "$name" ] || ctr images tag --force "$ref" "$name" >/dev/null
  echo "$id" >"$record"
done
# Archives of images podman no longer has (rebuilt since) are dropped.
for archive in "$archives"/*.tar; do
  [ -e "$archive" ] || continue
  id=${archive##*/} id=${id%.tar}
  podman image exists "$id" 2>/dev/null || rm -f "$archive"
done
