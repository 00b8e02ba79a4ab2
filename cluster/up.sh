#!/usr/bin/env bash
# up.sh: starts the single-node cluster from what build.sh built: etcd, the control plane,
# containerd, the kubelet, kube-proxy and CoreDNS, all on loopback or on the cluster's own
# bridge. Records the host first, so down.sh can put it back. Does nothing if it is up.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$here/host.sh"
source "$here/certs.sh"

need_root
missing=()
command -v containerd >/dev/null 2>&1 || missing+=(containerd)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v nft >/dev/null 2>&1 || missing+=(nftables)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
[ ${#missing[@]} -eq 0 ] || bash "$root/scripts/apt-install.sh" cluster "${missing[@]}"

cluster_up && exit 0
# A cluster that died or half started: clean up after it first.
if [ -e "$run" ] || [ -e "$host_record" ]; then bash "$here/down.sh"; fi

[ -z "$(kubepods)" ] ||
  fail "kubelet cgroups exist ($(kubepods | head -n1)): another kubelet runs on this machine, or its containers are left from one; stop it first."

started=$SECONDS
say "starting the cluster (bridge $bridge, API server $api_server)..."
record_host
mkdir -p "$run"/{pids,cni/net.d,cni/ipam,kubelet/manifests,kubelet/volume-plugins,controller-manager/flexvolume,pod-logs}
rm -rf "$logs" && mkdir -p "$logs"
make_pki "$run/pki"

ip link add "$bridge" type bridge
ip addr add "$node_ip/${pod_cidr#*/}" dev "$bridge"
ip link set "$bridge" up
render "$here/templates/guard.nft" "$run/guard.nft"
nft -f "$run/guard.nft"

start etcd "$bin/etcd" --name "$node_name" --data-dir "$run/etcd" \
  --listen-client-urls "$etcd_client" --advertise-client-urls "$etcd_client" \
  --listen-peer-urls "$etcd_peer" --initial-advertise-peer-urls "$etcd_peer" \
  --initial-cluster "$node_name=$etcd_peer"
etcd_healthy() ( # etcd's /health over bash's /dev/tcp: curl may not be installed
  hostport=${etcd_client#http://}
  exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
  printf 'GET /health HTTP/1.0\r\n\r\n' >&3
  grep -q '"health":"true"' <&3
)
wait_for 30 etcd etcd_healthy || fail "etcd did not start: see ${logs#"$root"/}/etcd.log"

pki="$run/pki"
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers="$etcd_client" \
  --bind-address="$node_ip" --advertise-address="$node_ip" --secure-port=6443 \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
  --kubelet-client-key="$pki/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP \
  --service-cluster-ip-range="$service_cidr" \
  --service-account-issuer="https://kubernetes.default.svc.$cluster_domain" \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --profiling=false
wait_for 60 "the API server" kubectl get --raw /readyz ||
  fail "the API server did not become ready: see ${logs#"$root"/}/kube-apiserver.log"

start kube-controller-manager "$bin/kube-controller-manager" \
  --kubeconfig="$pki/controller-manager.kubeconfig" --secure-port=0 --leader-elect=false \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --cluster-cidr="$pod_cidr" --service-cluster-ip-range="$service_cidr" \
  --flex-volume-plugin-dir="$run/controller-manager/flexvolume"
start kube-scheduler "$bin/kube-scheduler" \
  --kubeconfig="$pki/scheduler.kubeconfig" --secure-port=0 --leader-elect=false

render "$here/templates/containerd.toml" "$run/containerd.toml"
render "$here/templates/cni.conflist" "$run/cni/net.d/10-dapr-commerce.conflist"
start containerd containerd --config "$run/containerd.toml"
wait_for 30 containerd ctr version || fail "containerd did not start: see ${logs#"$root"/}/containerd.log"
for image in pause coredns probe; do ctr images import "$images/$image.tar" >/dev/null; done

render "$here/templates/kubelet.yaml" "$run/kubelet.yaml"
start kubelet "$bin/kubelet" --config="$run/kubelet.yaml" \
  --kubeconfig="$pki/kubelet.kubeconfig" --root-dir="$run/kubelet" --cert-dir="$run/kubelet/pki" \
  --node-ip="$node_ip" --hostname-override="$node_name"
render "$here/templates/kube-proxy.yaml" "$run/kube-proxy.yaml"
start kube-proxy "$bin/kube-proxy" --config="$run/kube-proxy.yaml"

render "$here/templates/bootstrap.yaml" "$run/bootstrap.yaml"
render "$here/templates/coredns.yaml" "$run/coredns.yaml"
kubectl apply -f "$run/bootstrap.yaml" -f "$run/coredns.yaml" >/dev/null
wait_for 60 "the node" kubectl wait --for=condition=Ready "node/$node_name" --timeout=1s ||
  fail "the node did not become Ready: see ${logs#"$root"/}/kubelet.log"
kubectl -n kube-system rollout status deployment/coredns --timeout=90s >/dev/null ||
  fail "CoreDNS did not become ready: kubectl -n kube-system describe pods -l k8s-app=kube-dns"
record_host_up
say "up in $((SECONDS - started)) s: export KUBECONFIG=$KUBECONFIG; kubectl is $bin/kubectl"
