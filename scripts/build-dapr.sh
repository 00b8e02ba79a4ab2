#!/usr/bin/env bash
# Provide daprd, placement and scheduler at the pinned release in .dapr-runtime/<version>/bin.
# Reuses a matching install (~/.dapr/bin after `dapr init`, or $DAPR_INSTALL_DIR); otherwise
# builds them from the pinned Go module, in a throwaway copy taken from the Go module cache,
# because dapr's go.mod carries replace directives that `go install pkg@version` refuses.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=dapr-versions.env
source "$root/scripts/dapr-versions.env"
version=$DAPR_RUNTIME_VERSION
bin_dir="$root/.dapr-runtime/$version/bin"
binaries=(daprd placement scheduler)

say() { printf '[dapr-runtime] %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

have_all() { # <dir> : daprd reports the pinned version (placement and scheduler have no
  # --version flag; they come from the same build or install as the daprd beside them)
  [ -x "$1/daprd" ] && [ -x "$1/placement" ] && [ -x "$1/scheduler" ] &&
    [ "$("$1/daprd" --version 2>/dev/null | head -n1)" = "$version" ]
}

if have_all "$bin_dir"; then
  say "Dapr $version ready in ${bin_dir#"$root"/}"
  exit 0
fi

for existing in "${DAPR_INSTALL_DIR:-}" "$HOME/.dapr/bin"; do
  if [ -n "$existing" ] && have_all "$existing"; then
    mkdir -p "$bin_dir"
    for b in "${binaries[@]}"; do ln -sf "$existing/$b" "$bin_dir/$b"; done
    say "reusing the Dapr $version install in $existing"
    exit 0
  fi
done

command -v go >/dev/null 2>&1 ||
  fail "Go is needed to build Dapr $version here: install Go 1.26 or newer (e.g. apt-get install golang-go, or the go.dev tarball), or run 'dapr init' for Dapr $version."

module="github.com/dapr/dapr@v$version"
say "downloading $module and its dependencies (first time only)..."
src=$(go mod download -json "$module" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] && [ -d "$src" ] ||
  fail "could not download the Go module $module: check that the Go module proxy is reachable (go env GOPROXY)."

work=$(mktemp -d "${TMPDIR:-/tmp}/dapr-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"

ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$version"
ldflags+=" -X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$version"
ldflags+=" -X github.com/dapr/kit/logger.DaprVersion=$version"
# Reads `go build -v` (one package name per line as it is compiled) and shows how far the build
# is: one line kept up to date on a terminal, a plain line every 10 s elsewhere (CI logs).
# Anything that is not a package name (a compiler error) is passed through.
progress() { # <binary> <packages in its build>
  local name=$1 total=$2 done=0 last=0 line
  while IFS= read -r line; do
    if [[ $line =~ ^[A-Za-z0-9_./~+-]+$ ]]; then
      done=$((done + 1))
    else
      printf '%s\n' "$line" >&2
      continue
    fi
    if [ -t 2 ]; then
      printf '\r[dapr-runtime] %s: %d/%d packages compiled, %d s ' "$name" "$done" "$total" $((SECONDS - started)) >&2
    elif ((SECONDS - last >= 10)); then
      last=$SECONDS
      say "$name: $done/$total packages compiled ($((100 * done / total))%), $((SECONDS - started)) s"
    fi
  done
  [ -t 2 ] && printf '\n' >&2
  say "$name: done, $done packages compiled (the rest came from Go's build cache), $((SECONDS - started)) s"
}

mkdir -p "$bin_dir.partial"
started=$SECONDS
for b in "${binaries[@]}"; do
  tags=""
  [ "$b" = daprd ] && tags="allcomponents"
  total=$(cd "$work" && go list -deps -tags "$tags" "./cmd/$b" | wc -l)
  say "building $b $version: $total packages$([ "$b" = daprd ] && echo ', 5 to 10 minutes on a cold cache')..."
  set +o pipefail
  (cd "$work" && CGO_ENABLED=0 go build -v -trimpath -tags "$tags" -ldflags "$ldflags" \
      -o "$bin_dir.partial/$b" "./cmd/$b" 2>&1) | progress "$b" "$total"
  built=${PIPESTATUS[0]}
  set -o pipefail
  [ "$built" -eq 0 ] ||
    fail "building $b failed (see the Go output above); a module the build needs may be unreachable."
done
rm -rf "$bin_dir"
mv "$bin_dir.partial" "$bin_dir"
have_all "$bin_dir" || fail "the built binaries do not report version $version"
say "built Dapr $version in $((SECONDS - started)) s: $(du -sh "$bin_dir" | cut -f1) in ${bin_dir#"$root"/}"
