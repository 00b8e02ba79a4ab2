# oci_image <name:tag> <rootfs dir> <out.tar> <user> <entrypoint...>
# Writes a one-layer OCI image archive (oci-layout, index.json, blobs) that
# `ctr images import` accepts, with no registry and no container engine. The layer is
# reproducible: sorted, owned by root, mtime 0.
# shellcheck shell=bash

oci_image() {
  local ref=$1 rootfs=$2 out=$3 user=$4
  shift 4
  local work entry layer layer_size config config_size manifest manifest_size
  work=$(mktemp -d "${TMPDIR:-/tmp}/oci.XXXXXX")
  mkdir -p "$work/blobs/sha256"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$rootfs" -cf "$work/layer.tar" .
  read -r layer layer_size < <(_oci_blob "$work" "$work/layer.tar")
  entry=$(printf '"%s",' "$@")
  printf '{"architecture":"amd64","os":"linux","config":{"User":"%s","Entrypoint":[%s],"WorkingDir":"/","Env":["PATH=/"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$user" "${entry%,}" "$layer" >"$work/config.json"
  read -r config config_size < <(_oci_blob "$work" "$work/config.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
  read -r manifest manifest_size < <(_oci_blob "$work" "$work/manifest.json")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$ref" "${ref##*:}" >"$work/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out.partial" oci-layout index.json blobs
  mv "$out.partial" "$out"
  rm -rf "$work"
}

# _oci_blob <layout dir> <file>: moves the file into blobs/sha256, prints "<digest> <size>".
_oci_blob() {
  local digest size
  digest=$(sha256sum "$2" | cut -d' ' -f1)
  size=$(stat -c %s "$2")
  mv "$2" "$1/blobs/sha256/$digest"
  echo "$digest $size"
}

# oci_rootfs <dir> : the skeleton every image here shares: a non-root user (65532, as in
# distroless "nonroot"), /etc/passwd and /etc/group for it, and a world-writable /tmp.
oci_rootfs() {
  mkdir -p "$1/etc" "$1/tmp"
  chmod 0755 "$1" "$1/etc"
  chmod 1777 "$1/tmp"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$1/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$1/etc/group"
}
