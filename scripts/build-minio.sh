#!/usr/bin/env bash
# Provides a MinIO server (pinned) as .tools/bin/minio, the S3 store behind the `images`
# binding on the redis and postgres profiles: built once from its Go module (no release binary
# can be downloaded here), then reused; a rebuild with Go's build cache warm takes seconds.
# MinIO is AGPL-3.0: it runs beside the project as a separate, unmodified program; no MinIO
# code is copied into the repository or linked into the apps.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# The newest module version the Go module proxy serves (MinIO tags no semver releases).
version=v0.0.0-20260212201848-7aac2a2c5b7c
dir="$root/.tools/minio/$version"
link="$root/.tools/bin/minio"
if [ ! -x "$dir/minio" ]; then
  command -v go >/dev/null 2>&1 ||
    { echo "[minio] Go is needed to build MinIO: install Go 1.26 or newer" >&2; exit 1; }
  echo "[minio] building MinIO $version from its Go module (once; about 25 minutes on 2 busy cores with a cold Go cache)..." >&2
  started=$SECONDS
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  CGO_ENABLED=0 GOBIN="$dir.partial" go install -trimpath -ldflags "-s -w" "github.com/minio/minio@$version" ||
    { echo "[minio] building MinIO failed (see the Go output above); is the Go module proxy reachable (go env GOPROXY)?" >&2; exit 1; }
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
  echo "[minio] built MinIO in $((SECONDS - started)) s: $(du -sh "$dir/minio" | cut -f1) in ${dir#"$root"/}" >&2
fi
if [ "$(readlink "$link" 2>/dev/null)" != "$dir/minio" ]; then
  mkdir -p "$(dirname "$link")"
  ln -sfn "$dir/minio" "$link"
fi
