# make_pki <dir>: one CA for the cluster, the serving and client certificates of each
# component, the service-account signing key, and a kubeconfig per client. EC P-256 keys, so a
# fresh set takes well under a second; cluster-down throws them away with the rest of .cluster/run.
# shellcheck shell=bash

make_pki() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    umask 077
    _key ca
    openssl req -x509 -new -key ca.key -subj "/CN=dapr-commerce-cluster-ca" -days 30 \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -out ca.crt 2>/dev/null
    _cert apiserver "/CN=kube-apiserver" serverAuth \
      "IP:$node_ip,IP:127.0.0.1,IP:$api_service_ip,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$cluster_domain"
    _cert kubelet-serving "/CN=$node_name" serverAuth "IP:$node_ip,DNS:$node_name"
    _cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
    _cert admin "/O=system:masters/CN=cluster-admin" clientAuth
    _cert kubelet "/O=system:nodes/CN=system:node:$node_name" clientAuth
    _cert controller-manager "/CN=system:kube-controller-manager" clientAuth
    _cert scheduler "/CN=system:kube-scheduler" clientAuth
    _cert kube-proxy "/CN=system:kube-proxy" clientAuth
    _key sa
    openssl pkey -in sa.key -pubout -out sa.pub 2>/dev/null
    local who
    for who in admin kubelet controller-manager scheduler kube-proxy; do _kubeconfig "$who"; done
    chmod 644 ./*.crt ./*.kubeconfig sa.pub
  )
}

_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# _cert <name> <subject> <serverAuth|clientAuth> [subjectAltName]
_cert() {
  _key "$1"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature"
    echo "extendedKeyUsage=$3"
    [ -z "${4:-}" ] || echo "subjectAltName=$4"
  } >"$1.ext"
  openssl req -new -key "$1.key" -subj "$2" 2>/dev/null |
    openssl x509 -req -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile "$1.ext" \
      -out "$1.crt" 2>/dev/null
  rm -f "$1.ext"
}

_kubeconfig() {
  cat >"$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: dapr-commerce
  cluster: {server: "$api_server", certificate-authority: "$PWD/ca.crt"}
users:
- name: $1
  user: {client-certificate: "$PWD/$1.crt", client-key: "$PWD/$1.key"}
contexts:
- name: dapr-commerce
  context: {cluster: dapr-commerce, user: $1}
current-context: dapr-commerce
EOF
}
