#!/usr/bin/env bash
# down.sh: stops the cluster, removes its state (.cluster/run) and puts the host back as up.sh
# recorded it; fails, naming what, if something could not be put back. Quiet when nothing runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$here/host.sh"

[ -e "$run" ] || [ -e "$host_record" ] || exit 0
need_root
started=$SECONDS
say "stopping the cluster..."

alive() { [ -f "$run/pids/$1" ] && kill -0 "$(<"$run/pids/$1")" 2>/dev/null; }
no_pods() { [ -z "$(kubectl get pods -A -o name 2>/dev/null)" ] && [ -z "$(ctr tasks ls -q 2>/dev/null)" ]; }
# The shims of our containerd: the processes started with our socket as their address.
our_shims() {
  grep -lsF -- "$containerd_sock" /proc/[0-9]*/cmdline | cut -d/ -f3 || true
}


# Pods first, with the controllers stopped so nothing replaces them: the kubelet then takes
# down their containers, sandboxes, network namespaces and volumes itself.
stop kube-controller-manager kube-scheduler
if alive kube-apiserver && alive kubelet && alive containerd; then
  kubectl delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1 || true
  wait_for 45 "the pods to stop" no_pods || say "some pods did not stop in time; killing their containers"
fi
stop kubelet kube-proxy
if alive containerd; then
  for task in $(ctr tasks ls -q 2>/dev/null); do ctr tasks kill -s SIGKILL "$task" 2>/dev/null || true; done
  for task in $(ctr tasks ls -q 2>/dev/null); do ctr tasks delete -f "$task" >/dev/null 2>&1 || true; done
fi
# etcd last: the API server hangs on shutdown without it.
stop kube-apiserver containerd
stop etcd
# Then containers left behind by a containerd or a shim that died: those in the kubelet's cgroups.
for pid in $(our_shims) $(kubepods_procs); do kill -9 "$pid" 2>/dev/null || true; done
no_containers() { [ -z "$(kubepods_procs)" ]; }
wait_for 10 "the containers to die" no_containers || true

restore_host
left=$(host_differences)
rm -rf "$run"
[ -z "$left" ] || fail "stopped, but these could not be put back: $left"
rm -rf "$host_record"
say "down in $((SECONDS - started)) s; the host is as it was (logs kept in ${logs#"$root"/})"
