#!/usr/bin/env bash
# Provides kustomize (pinned) in .tools/bin for rendering deployments/ offline; built from its
# Go module once, then reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v5.8.0  # v5.8.1+ needs Go 1.27
bin="$root/.tools/bin/kustomize"
if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -qx "$version"; then exit 0; fi
command -v go >/dev/null 2>&1 || { echo "[kustomize] Go is needed to build kustomize $version" >&2; exit 1; }
echo "[kustomize] building kustomize $version..." >&2
GOBIN="$root/.tools/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$version"
