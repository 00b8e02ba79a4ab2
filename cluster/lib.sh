# Shared by the cluster scripts: where things are, the cluster's addresses, small helpers.
# shellcheck shell=bash
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
here="$root/cluster"
# shellcheck source=versions.env
source "$here/versions.env"
# shellcheck source=../scripts/dapr-versions.env
source "$root/scripts/dapr-versions.env"

build="$root/.cluster/build" # binaries and image archives: kept, rebuilt only when pins change
bin="$build/bin"
images="$build/images"
run="$root/.cluster/run" # one cluster's state: removed by cluster-down
logs="$root/.cluster/logs" # the last cluster's logs: kept after cluster-down for reading
host_record="$root/.cluster/host" # what the host looked like before cluster-up

# Everything the cluster serves or routes is on this bridge (or loopback); see README.md.
bridge=dckube0
node_ip=10.244.0.1
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/24
api_service_ip=10.96.0.1
dns_service_ip=10.96.0.10
api_server="https://$node_ip:6443"
etcd_client=http://127.0.0.1:12379
etcd_peer=http://127.0.0.1:12380
node_name=dapr-commerce
cluster_domain=cluster.local
# Images are imported into containerd under these names; nothing is ever pulled.
pause_image=localhost/kubernetes/pause:$PAUSE_VERSION
coredns_image=localhost/kubernetes/coredns:v$COREDNS_VERSION
dapr_registry=localhost/dapr
probe_image=localhost/dapr-commerce/probe:latest

export KUBECONFIG="$run/pki/admin.kubeconfig"
# kubectl and helm cache the API discovery here rather than in ~/.kube.
export KUBECACHEDIR="$run/kube-cache"
containerd_sock="$run/containerd/containerd.sock"

say() { printf '[cluster] %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }
kubectl() { "$bin/kubectl" "$@"; }
ctr() { command ctr --address "$containerd_sock" --namespace k8s.io "$@"; }

need_root() {
  [ "$(id -u)" -eq 0 ] || fail "the cluster runs containerd, the kubelet and kube-proxy: run this as root (sudo make ...)."
}

# wait_for <seconds> <what> <command...>: polls the command every half second until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# render <template> <out>: replaces @NAME@ with the value of the shell variable NAME.
render() {
  local text
  text=$(<"$1")
  while [[ $text =~ @([a-z_]+)@ ]]; do
    local name=${BASH_REMATCH[1]}
    text=${text//@"$name"@/${!name}}
  done
  printf '%s\n' "$text" >"$2"
}

# start <name> <command...>: runs a daemon in its own session, logging to $logs/<name>.log.
start() {
  local name=$1
  shift
  setsid "$@" >"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/pids/$name"
}

# stop <name>...: SIGTERM to the recorded pids together, SIGKILL to those still there after 15 s.
stop() {
  local name pid pids=()
  for name in "$@"; do
    [ -f "$run/pids/$name" ] || continue
    pid=$(<"$run/pids/$name")
    kill "$pid" 2>/dev/null && pids+=("$pid")
    rm -f "$run/pids/$name"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  wait_for 15 "${*} to stop" all_gone "${pids[@]}" || kill -9 "${pids[@]}" 2>/dev/null || true
}

all_gone() {
  local pid
  for pid in "$@"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}

cluster_up() { [ -f "$run/pids/kube-apiserver" ] && kill -0 "$(<"$run/pids/kube-apiserver")" 2>/dev/null; }
