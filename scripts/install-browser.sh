#!/usr/bin/env bash
# Installs Debian's Chromium and its chromedriver (same release) for the console's browser
# tests, if missing. Selenium is told both paths, so it never downloads a driver or browser.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
[ ${#missing[@]} -eq 0 ] && exit 0

bash "$(dirname "$0")/apt-install.sh" browser "${missing[@]}"
