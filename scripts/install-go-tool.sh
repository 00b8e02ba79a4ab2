#!/usr/bin/env bash
# Provides a command-line tool built from its Go module, pinned, in .tools/bin: built once,
# then reused while the binary records that module at that version.
#   scripts/install-go-tool.sh <binary name> <module path of its main package> <version>
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 <binary name> <module path> <version>" >&2; exit 2; }
name=$1 module=$2 version=$3
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/.tools/bin/$name"
if [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -Eq "^\s+mod\s+$module\s+$version(\s|$)"; then exit 0; fi
command -v go >/dev/null 2>&1 || { echo "[$name] Go is needed to build $name $version" >&2; exit 1; }
echo "[$name] building $name $version..." >&2
GOBIN="$root/.tools/bin" go install "$module@$version"
