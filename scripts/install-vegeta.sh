#!/usr/bin/env bash
# Provides vegeta (pinned) in .tools/bin, the benchmarks' fixed-rate load generator: an open
# loop that sends each request on schedule whatever the earlier ones do. Built from its Go
# module once, then reused.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=v12.12.0
bin="$root/.tools/bin/vegeta"
if [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -q "vegeta/v12[[:space:]]*$version"; then exit 0; fi
command -v go >/dev/null 2>&1 || { echo "[vegeta] Go is needed to build vegeta $version" >&2; exit 1; }
echo "[vegeta] building vegeta $version..." >&2
GOBIN="$root/.tools/bin" go install "github.com/tsenart/vegeta/v12@$version"
