#!/usr/bin/env bash
# dapr-images.sh BIN_DIR VERSION: images for daprd, placement and scheduler from the static
# binaries the project builds (scripts/build-dapr.sh): one binary on an empty base, with a CA
# bundle, /tmp and an unprivileged user (65532), like Dapr's distroless images. Tagged
# localhost/dapr-commerce/<name>:VERSION; skipped when the binary and this script are unchanged.
set -euo pipefail
source "$(dirname "$0")/engine.sh"
need "$ENGINE"
bin_dir=${1:?usage: dapr-images.sh BIN_DIR VERSION}
version=${2:?usage: dapr-images.sh BIN_DIR VERSION}
# The CA bundle of Debian's ca-certificates, from the Python base (not the host's, which may
# trust a local proxy).
base="$IMAGE_PREFIX/python:3.11-bookworm"

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
for name in daprd placement scheduler; do
  binary="$bin_dir/$name"
  [ -x "$binary" ] || { echo "$binary is missing: run \`make runtime\`" >&2; exit 1; }
  image="$IMAGE_PREFIX/$name:$version"
  inputs=$( (cat "$0"; sha256sum <"$binary") | sha256sum | cut -c1-16)
  [ "$(image_inputs "$image")" = "$inputs" ] && continue
  echo "[containers] making $image from $binary..." >&2
  if [ ! -d "$context/rootfs" ]; then
    bash "$CONTAINERS_DIR/debian-image.sh" python
    mkdir -p "$context/rootfs/etc/ssl/certs" "$context/rootfs/tmp"
    chmod 1777 "$context/rootfs/tmp"
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' \
      >"$context/rootfs/etc/passwd"
    printf 'root:x:0:\nnonroot:x:65532:\n' >"$context/rootfs/etc/group"
    "$ENGINE" run --rm "$base" cat /etc/ssl/certs/ca-certificates.crt \
      >"$context/rootfs/etc/ssl/certs/ca-certificates.crt"
  fi
  rm -f "$context"/bin-*
  cp "$binary" "$context/bin-$name"
  cat >"$context/Containerfile" <<CONTAINERFILE
FROM scratch
COPY rootfs/ /
COPY bin-$name /$name
USER 65532:65532
WORKDIR /
ENTRYPOINT ["/$name"]
LABEL $LABEL_INPUTS=$inputs org.opencontainers.image.version=$version
CONTAINERFILE
  old=$(image_id "$image")
  "$ENGINE" build --quiet --file "$context/Containerfile" --tag "$image" "$context" >/dev/null
  drop_image "$old" "$image"
  echo "[containers] $image: $(image_size "$image")" >&2
done
