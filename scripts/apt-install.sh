#!/usr/bin/env bash
# apt-install.sh <label> <package>...: installs the named Debian packages, as root or with sudo.
# The install-*.sh scripts call it with what they found missing.
set -euo pipefail
label=$1
shift
command -v apt-get >/dev/null 2>&1 ||
  { echo "[$label] install $* with your package manager" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[$label] installing $* (Debian packages)..." >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null
