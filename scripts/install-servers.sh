#!/usr/bin/env bash
# Installs the servers that the redis and postgres profiles run, their command-line clients,
# the front door of a replicated stack and the benchmarks' wrk (Debian packages), if missing.
# The test harness, `make run PROFILE=...` and `make run REPLICAS=...` start the servers on
# free loopback ports themselves.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v haproxy >/dev/null 2>&1 || missing+=(haproxy)
# The clients that set feature flags in the profiles' configuration stores (README).
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
# The benchmarks' compiled load generator (make bench).
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
[ ${#missing[@]} -eq 0 ] && exit 0

bash "$(dirname "$0")/apt-install.sh" servers "${missing[@]}"
