#!/usr/bin/env bash
# build.sh cluster|dapr: builds what `make cluster` (Kubernetes, etcd, CoreDNS, the pause image,
# the probe app of check.sh) or `make cluster-dapr` (helm, the Dapr control plane and its
# images) runs.
# Each piece is built once: a stamp of its inputs (pins, go.mod/go.sum, sources) skips it until
# they change. Binaries go to .cluster/build/bin, OCI image archives to .cluster/build/images.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$here/oci.sh"

export CGO_ENABLED=0
command -v go >/dev/null 2>&1 || fail "Go 1.26 or newer is needed to build the cluster (apt-get install golang-go, or the go.dev tarball)."

# piece <name> <input files...>: runs build_<name> unless its stamp matches the inputs.
piece() {
  local name=$1 key started
  shift
  # The key: the pins, the input files, and the build function's own text.
  key=$( (echo "$KUBERNETES_VERSION $ETCD_VERSION $COREDNS_VERSION $HELM_VERSION $PAUSE_VERSION $DAPR_RUNTIME_VERSION"
    declare -f "build_$name"
    cat "$@") | sha256sum | cut -d' ' -f1)
  [ "$(cat "$build/stamps/$name" 2>/dev/null)" = "$key" ] && return 0
  started=$SECONDS
  "build_$name"
  mkdir -p "$build/stamps"
  echo "$key" >"$build/stamps/$name"
  say "built $name in $((SECONDS - started)) s"
}

# pinned <module dir> <module> <version>: the wrapper module requires what versions.env says.
pinned() {
  grep -Eq "(^require|^[[:space:]]) *$2 v$3( |\$)" "$1/go.mod" ||
    fail "cluster/go/${1##*/}/go.mod does not require $2 v$3 as cluster/versions.env says: update one of them."
}

gobuild() { # <module dir> <ldflags> <packages...>: static, trimmed binaries into $bin
  local dir=$1 ldflags=$2
  shift 2
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/" "$@")
}

build_kubernetes() {
  pinned "$here/go/kubernetes" k8s.io/kubernetes "$KUBERNETES_VERSION"
  say "building Kubernetes $KUBERNETES_VERSION (about 6 minutes on two cores, less with a warm Go cache)..."
  local v=k8s.io/component-base/version minor=${KUBERNETES_VERSION#*.}
  gobuild "$here/go/kubernetes" "-X $v.gitVersion=v$KUBERNETES_VERSION -X $v.gitMajor=${KUBERNETES_VERSION%%.*} -X $v.gitMinor=${minor%%.*} -X $v.gitTreeState=clean" \
    k8s.io/kubernetes/cmd/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl}
}

build_etcd() {
  pinned "$here/go/etcd" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
  say "building etcd $ETCD_VERSION..."
  gobuild "$here/go/etcd" "" .
}

build_coredns() {
  pinned "$here/go/coredns" github.com/coredns/coredns "$COREDNS_VERSION"
  say "building CoreDNS $COREDNS_VERSION..."
  gobuild "$here/go/coredns" "" .
}

build_helm() {
  pinned "$here/go/helm" helm.sh/helm/v3 "$HELM_VERSION"
  say "building helm $HELM_VERSION..."
  gobuild "$here/go/helm" "-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" helm.sh/helm/v3/cmd/helm
}

build_probe() {
  gobuild "$here/go/probe" "" .
}

# The pause container of every pod, from the kubernetes module's own source.
build_pause() {
  command -v gcc >/dev/null 2>&1 || fail "gcc (and the static C library) is needed for the pause image: apt-get install gcc libc6-dev"
  local src
  src=$(go mod download -json "k8s.io/kubernetes@v$KUBERNETES_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  gcc -Os -Wall -Werror -static -s -DVERSION="v$PAUSE_VERSION" -o "$bin/pause" "$src/build/pause/linux/pause.c"
}

# operator, injector and sentry from the pinned dapr module, in a copy because its go.mod has
# replace directives (as scripts/build-dapr.sh does for daprd, placement and scheduler, which
# it provides in .dapr-runtime). The chart comes from the same module.
build_dapr() {
  bash "$root/scripts/build-dapr.sh"
  local src work v=$DAPR_RUNTIME_VERSION
  src=$(go mod download -json "github.com/dapr/dapr@v$v" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$src" ] || fail "could not download github.com/dapr/dapr@v$v: check the Go module proxy (go env GOPROXY)."
  work=$(mktemp -d "${TMPDIR:-/tmp}/dapr-cp.XXXXXX")
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  say "building the Dapr $v control plane (operator, injector, sentry)..."
  gobuild "$work" "-X github.com/dapr/dapr/pkg/buildinfo.version=$v -X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$v -X github.com/dapr/kit/logger.DaprVersion=$v" \
    ./cmd/operator ./cmd/injector ./cmd/sentry || { rm -rf "$work"; fail "building the Dapr control plane failed (see above)."; }
  rm -rf "$build/chart"
  mkdir -p "$build/chart"
  cp -r "$src/charts/dapr" "$build/chart/"
  chmod -R u+w "$build/chart"
  rm -rf "$work"
}

# image <archive name> <ref> <user> <binary path> <entrypoint...>
image() {
  local name=$1 ref=$2 user=$3 binary=$4 rootfs
  shift 4
  rootfs=$(mktemp -d "${TMPDIR:-/tmp}/rootfs.XXXXXX")
  oci_rootfs "$rootfs"
  cp -L "$binary" "$rootfs/"
  chmod 0755 "$rootfs/${binary##*/}"
  oci_image "$ref" "$rootfs" "$images/$name.tar" "$user" "$@"
  rm -rf "$rootfs"
}

build_cluster_images() {
  mkdir -p "$images"
  image pause "$pause_image" 65535:65535 "$bin/pause" /pause
  image coredns "$coredns_image" 65532:65532 "$bin/coredns" /coredns
  image probe "$probe_image" 65532:65532 "$bin/probe" /probe serve
}

build_dapr_images() {
  mkdir -p "$images"
  local runtime="$root/.dapr-runtime/$DAPR_RUNTIME_VERSION/bin" b
  for b in daprd placement scheduler; do
    image "dapr-$b" "$dapr_registry/$b:$DAPR_RUNTIME_VERSION" 65532:65532 "$runtime/$b" "/$b"
  done
  for b in operator injector sentry; do
    image "dapr-$b" "$dapr_registry/$b:$DAPR_RUNTIME_VERSION" 65532:65532 "$bin/$b" "/$b"
  done
}

mkdir -p "$bin"
go_mod() { echo "$here/go/$1/go.mod" "$here/go/$1/go.sum"; }
case ${1:-} in
  cluster)
    # shellcheck disable=SC2046
    piece kubernetes $(go_mod kubernetes)
    # shellcheck disable=SC2046
    piece etcd $(go_mod etcd) "$here/go/etcd/main.go"
    # shellcheck disable=SC2046
    piece coredns $(go_mod coredns) "$here/go/coredns/main.go"
    piece pause "$here/versions.env"
    piece probe "$here/go/probe/go.mod" "$here/go/probe/main.go"
    piece cluster_images "$here/oci.sh" "$build/stamps/pause" "$build/stamps/coredns" "$build/stamps/probe"
    ;;
  dapr)
    # shellcheck disable=SC2046
    piece helm $(go_mod helm)
    piece dapr "$root/scripts/dapr-versions.env"
    piece dapr_images "$here/oci.sh" "$build/stamps/dapr"
    ;;
  *) fail "usage: cluster/build.sh cluster|dapr" ;;
esac
