#!/usr/bin/env bash
# Installs Debian's Chromium and its chromedriver (same release) for the console's browser
# tests, if missing. Selenium is told both paths, so it never downloads a driver or browser.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 ||
  { echo "[browser] install ${missing[*]} (Chromium and chromedriver) with your package manager" >&2; exit 1; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[browser] installing ${missing[*]} (Debian packages)..." >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
