#!/usr/bin/env bash
# check.sh [cluster|dapr|all]: proves the running cluster works, in a namespace of its own that it
# deletes afterwards (a new name each run, so no DNS cache answers for an older one).
#   cluster: the node is Ready; a pod resolves a Service's name through CoreDNS and reaches the
#            Service through kube-proxy.
#   dapr:    every pod in dapr-system runs; a pod annotated dapr.io/enabled gets a daprd sidecar,
#            which gets its certificate from sentry (mTLS on) and connects to placement and
#            the scheduler.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

what=${1:-all}
ns=cluster-check-$(date +%s)
passed=0
got=""
ok() { passed=$((passed + 1)); say "ok   $*"; }
bad() { say "FAIL $*"; exit 1; }
# CHECK_KEEP=1 keeps the namespace, to look at what failed.
cleanup() {
  [ -n "${CHECK_KEEP:-}" ] && say "kept namespace $ns" && return
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
}
trap cleanup EXIT

kubectl get --raw /readyz >/dev/null 2>&1 || bad "the API server does not answer: run make cluster"
kubectl delete namespace -l dapr-commerce/check --wait=false >/dev/null
kubectl create namespace "$ns" >/dev/null
kubectl label namespace "$ns" dapr-commerce/check=true >/dev/null

# probe_app <name> <annotations json>: a Deployment and a Service of the probe image.
probe_app() {
  kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}, annotations: $2}
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 65532}
      containers:
        - name: app
          image: $probe_image
          imagePullPolicy: Never
          ports: [{containerPort: 8080}]
          readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
          resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}
---
apiVersion: v1
kind: Service
metadata: {name: $1}
spec:
  selector: {app: $1}
  ports: [{port: 80, targetPort: 8080}]
EOF
  kubectl -n "$ns" rollout status "deployment/$1" --timeout=120s >/dev/null ||
    bad "the $1 pod did not become ready: kubectl -n $ns describe pods -l app=$1"
}
# retry <seconds> <command...>: reruns the command every second until it succeeds; its output
# (the last try's) is left in $got.
retry() {
  local deadline=$((SECONDS + $1))
  shift
  until got=$("$@" 2>&1); do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1
  done
}
in_pod() { kubectl -n "$ns" exec "deploy/$1" -c app -- /probe "${@:2}"; }

check_cluster() {
  [ "$(kubectl get node "$node_name" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ] ||
    bad "node $node_name is not Ready"
  ok "node $node_name is Ready ($(kubectl get node "$node_name" -o jsonpath='{.status.nodeInfo.kubeletVersion}'), $(kubectl get node "$node_name" -o jsonpath='{.status.nodeInfo.containerRuntimeVersion}'))"
  probe_app plain '{}'
  local ip name="plain.$ns.svc.$cluster_domain"
  ip=$(kubectl -n "$ns" get service plain -o jsonpath='{.spec.clusterIP}')
  retry 10 in_pod plain resolve "$name" || bad "a pod could not resolve $name: $got"
  [ "$got" = "$ip" ] || bad "$name resolved to '$got', the Service's address is $ip"
  ok "a pod resolves $name to the Service's $ip through CoreDNS"
  # kube-proxy writes a new Service's rules a second or two after its endpoints appear.
  retry 15 in_pod plain get "http://plain.$ns/healthz" || bad "a pod could not reach the Service: $got"
  ok "a pod reaches the Service by its short name through kube-proxy ($got)"
}

# sentry_signed: sentry's count of certificates signed, from its metrics port via the API server.
sentry_signed() {
  local pod
  pod=$(kubectl -n dapr-system get pods -l app=dapr-sentry -o jsonpath='{.items[0].metadata.name}')
  kubectl get --raw "/api/v1/namespaces/dapr-system/pods/$pod:9090/proxy/" |
    awk '/^dapr_sentry_cert_sign_success_total/ {print $2; found=1} END {exit !found}'
}

check_dapr() {
  local pods
  pods=$(kubectl -n dapr-system get pods --no-headers 2>/dev/null) || true
  [ -n "$pods" ] || bad "no pods in dapr-system: run make cluster-dapr"
  if grep -v ' Running ' <<<"$pods"; then bad "not every pod in dapr-system is Running"; fi
  ok "all $(wc -l <<<"$pods") pods in dapr-system are Running: $(awk '{print $1}' <<<"$pods" | sed 's/-[a-z0-9]*-[a-z0-9]*$\|-[0-9]*$//' | sort | uniq -c | awk '{printf "%s×%s ", $1, $2}')"
  [ "$(kubectl -n dapr-system get configurations.dapr.io daprsystem -o jsonpath='{.spec.mtls.enabled}')" = true ] ||
    bad "mTLS is not enabled in the daprsystem Configuration"

  local signed_before signed_after pod containers args
  signed_before=$(sentry_signed) || bad "could not read sentry's metrics"
  probe_app sidecar '{"dapr.io/enabled": "true", "dapr.io/app-id": "probe", "dapr.io/app-port": "8080"}'
  pod=$(kubectl -n "$ns" get pods -l app=sidecar -o jsonpath='{.items[0].metadata.name}')
  containers=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.spec.containers[*].name}')
  [[ " $containers " == *" daprd "* ]] || bad "no daprd sidecar was injected into $pod (containers: $containers)"
  ok "the injector added a daprd sidecar to $pod ($(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.spec.containers[?(@.name=="daprd")].image}'))"

  args=$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.spec.containers[?(@.name=="daprd")].args}')
  [[ $args == *'"--enable-mtls"'* && $args == *'"--sentry-address"'* ]] ||
    bad "the sidecar was not started with mTLS and a sentry address: $args"
  grep -q "Security is initialized successfully" <<<"$(kubectl -n "$ns" logs "$pod" -c daprd)" ||
    bad "the sidecar has no workload certificate: kubectl -n $ns logs $pod -c daprd"
  signed_after=$(sentry_signed)
  [ "$signed_after" -gt "$signed_before" ] ||
    bad "sentry signed no certificate for the sidecar (dapr_sentry_cert_sign_success_total $signed_before -> $signed_after)"
  ok "the sidecar runs with mTLS and got its certificate from sentry (certificates signed $signed_before -> $signed_after)"

  in_pod sidecar get http://127.0.0.1:3500/v1.0/healthz >/dev/null || bad "the sidecar is not healthy"
  connected() { # prints the sidecar's metadata; true once both connections show in it
    local meta
    meta=$(in_pod sidecar get http://127.0.0.1:3500/v1.0/metadata) || return 1
    echo "$meta"
    grep -q '"placement":"placement: connected"' <<<"$meta" && grep -q '"connected_addresses":\["' <<<"$meta"
  }
  retry 60 connected || bad "the sidecar is not connected to placement and the scheduler: $got"
  ok "the sidecar is connected to placement and to the scheduler ($(grep -o '"connected_addresses":\[[^]]*\]' <<<"$got"))"
}

case $what in
  cluster) check_cluster ;;
  dapr) check_dapr ;;
  all) check_cluster && check_dapr ;;
  *) fail "usage: cluster/check.sh [cluster|dapr|all]" ;;
esac
say "$passed checks passed"
