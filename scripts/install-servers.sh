#!/usr/bin/env bash
# Installs the servers that the redis and postgres profiles run (Debian packages), if missing.
# The test harness and `make run PROFILE=...` start them on free loopback ports themselves.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 ||
  { echo "[servers] install ${missing[*]} with your package manager" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[servers] installing ${missing[*]} (Debian packages)..." >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
