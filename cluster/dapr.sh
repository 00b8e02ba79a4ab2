#!/usr/bin/env bash
# dapr.sh: installs the pinned Dapr on the running cluster as Dapr users do, with helm and
# Dapr's chart: operator, sidecar injector, sentry (mTLS on), placement and scheduler, from the
# images build.sh wrote, imported into containerd. Does nothing when that release is running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

need_root
cluster_up || fail "the cluster is not up: run make cluster first"
# helm keeps its cache and settings with the build, not in the home folder.
export HELM_CACHE_HOME="$build/helm/cache" HELM_CONFIG_HOME="$build/helm/config" HELM_DATA_HOME="$build/helm/data"
helm() { "$bin/helm" "$@"; }
version=$DAPR_RUNTIME_VERSION

installed() {
  grep -q '"status":"deployed"' <<<"$(helm status dapr -n dapr-system -o json 2>/dev/null)" &&
    [ "$(kubectl -n dapr-system get deploy dapr-operator -o jsonpath='{.spec.template.spec.containers[0].image}' 2>/dev/null)" = "$dapr_registry/operator:$version" ] &&
    kubectl -n dapr-system wait --for=condition=Ready pods --all --timeout=1s >/dev/null 2>&1
}
installed && exit 0

started=$SECONDS
say "importing the Dapr $version images into containerd..."
have=$(ctr images ls -q)
for b in daprd placement scheduler operator injector sentry; do
  grep -qx "$dapr_registry/$b:$version" <<<"$have" || ctr images import "$images/dapr-$b.tar" >/dev/null
done
say "installing Dapr $version with helm (chart charts/dapr of the dapr module)..."
helm upgrade --install dapr "$build/chart/dapr" --namespace dapr-system --create-namespace \
  --values "$here/templates/dapr-values.yaml" --set "global.tag=$version" \
  --wait --timeout 5m >"$logs/helm.log" 2>&1 ||
  fail "helm install failed (${logs#"$root"/}/helm.log); kubectl -n dapr-system get pods shows which part"
kubectl -n dapr-system wait --for=condition=Ready pods --all --timeout=120s >/dev/null ||
  fail "Dapr's pods did not all become ready: kubectl -n dapr-system get pods"
say "Dapr $version installed in $((SECONDS - started)) s:"
kubectl -n dapr-system get pods >&2
