# What the cluster changes on the host outside the project folder, recorded before cluster-up
# and put back by cluster-down. Sourced by up.sh and down.sh.
# shellcheck shell=bash

# The kubelet sets the first six; the rest are what a CNI plugin or kube-proxy could set.
host_sysctls=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes
  net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding
  net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max)
# Paths fixed in the kubelet's and containerd's code (everything else is configured into
# .cluster/run). Whichever did not exist before is removed after.
host_paths=(/var/lib/kubelet /var/log/containers /var/log/pods /run/containerd /run/mount
  /run/kubernetes /var/lib/cni /opt/containerd)
# nftables tables of the cluster: kube-proxy's, and our guard (up.sh). Others are never touched.
host_nft_tables=("ip kube-proxy" "ip6 kube-proxy" "inet dapr_commerce_guard")

record_host() {
  rm -rf "$host_record"
  mkdir -p "$host_record"
  local s p
  for s in "${host_sysctls[@]}"; do
    [ -e "/proc/sys/${s//.//}" ] && echo "$s=$(sysctl -n "$s")"
  done >"$host_record/sysctl"
  for p in "${host_paths[@]}"; do [ -e "$p" ] || echo "$p"; done >"$host_record/absent-paths"
  nft list tables >"$host_record/nft-tables" 2>/dev/null || true
}

restore_host() {
  [ -d "$host_record" ] || return 0
  _unmount_under "$run"
  _drop_links
  local table line
  for table in "${host_nft_tables[@]}"; do
    # shellcheck disable=SC2086
    nft list table $table >/dev/null 2>&1 && nft delete table $table
  done
  local s value
  for s in $(_sysctls_we_changed); do
    value=$(grep "^$s=" "$host_record/sysctl" | cut -d= -f2-)
    sysctl -qw "$s=$value"
  done
  _drop_cgroups
  while read -r line; do rm -rf "$line"; done <"$host_record/absent-paths"
}

# record_host_up: the values the cluster set (up.sh, once the node is Ready). A sysctl that has
# changed again since is someone else's (podman, say, turns on IP forwarding), and left alone.
record_host_up() {
  local s
  for s in "${host_sysctls[@]}"; do
    [ -e "/proc/sys/${s//.//}" ] && echo "$s=$(sysctl -n "$s")"
  done >"$host_record/sysctl-up"
}

# The sysctls that differ from the record and still hold the value the cluster gave them.
_sysctls_we_changed() {
  local s value now
  while IFS='=' read -r s value; do
    now=$(sysctl -n "$s")
    [ "$now" != "$value" ] || continue
    [ ! -f "$host_record/sysctl-up" ] || grep -qxF "$s=$now" "$host_record/sysctl-up" || continue
    echo "$s"
  done <"$host_record/sysctl"
}

# Pod volumes, netns bind mounts and container root filesystems, deepest first.
_unmount_under() {
  local target
  findmnt -rn -o TARGET | grep "^$1/" | sort -r | while read -r target; do
    umount "$target" 2>/dev/null || umount -l "$target"
  done
}

# The bridge and the host ends of the pods' veths (gone already when their netns went).
_drop_links() {
  local link
  ip -o link show master "$bridge" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 |
    while read -r link; do ip link delete "$link" 2>/dev/null || true; done
  ip link show "$bridge" >/dev/null 2>&1 && ip link delete "$bridge"
  return 0
}

# The kubelet's cgroups (kubepods/…) in every hierarchy. up.sh starts only where there are none,
# so they are the cluster's. kubepods_procs: the processes still in them.
kubepods() { find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -name kubepods -type d 2>/dev/null; }
kubepods_procs() { find /sys/fs/cgroup/memory/kubepods -name cgroup.procs -exec cat {} + 2>/dev/null || true; }
_drop_cgroups() {
  local top dir
  for top in $(kubepods); do
    find "$top" -depth -type d | while read -r dir; do rmdir "$dir" 2>/dev/null || true; done
  done
}

# host_differences: what still differs from the record (nothing when restored).
host_differences() {
  local s p
  for s in $(_sysctls_we_changed); do echo "sysctl $s is $(sysctl -n "$s")"; done
  while read -r p; do [ ! -e "$p" ] || echo "path $p exists"; done <"$host_record/absent-paths"
  ip link show "$bridge" >/dev/null 2>&1 && echo "link $bridge exists"
  kubepods | sed 's/^/cgroup /'
  kubepods_procs | sed 's/^/process /'
  findmnt -rn -o TARGET | grep "^$run/" | sed 's/^/mount /'
  local table
  for table in "${host_nft_tables[@]}"; do
    # shellcheck disable=SC2086
    nft list table $table >/dev/null 2>&1 && echo "nft table $table exists"
  done
  return 0
}
