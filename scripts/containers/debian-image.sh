#!/usr/bin/env bash
# debian-image.sh python|redis|postgres: makes a minimal Debian bookworm image from Debian
# packages with mmdebstrap and imports it as localhost/dapr-commerce/<name>:<tag>. No registry
# is needed. Skipped when the image exists and carries the hash of this script's inputs.
set -euo pipefail
source "$(dirname "$0")/engine.sh"
need "$ENGINE" mmdebstrap

SUITE=bookworm
name=${1:?usage: debian-image.sh python|redis|postgres}
# Run-time packages per image (Debian bookworm: python3 is 3.11, redis 7.0, PostgreSQL 15).
case "$name" in
  # The public python:3.11-slim image has pip too (the build stage installs uv with it);
  # manylinux wheels (grpcio) need libstdc++.
  python) tag=3.11-bookworm; packages=(python3 python3-pip python-is-python3 ca-certificates netbase passwd libstdc++6)
    changes=(--change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]') ;;
  redis) tag=7-bookworm; packages=(redis-server)
    changes=(--change 'USER redis' --change 'WORKDIR /var/lib/redis' --change 'EXPOSE 6379'
             --change 'CMD ["redis-server", "--bind", "0.0.0.0", "--save", "", "--appendonly", "no"]') ;;
  postgres) tag=15-bookworm; packages=(postgresql-15)
    changes=(--change 'USER postgres' --change 'WORKDIR /var/lib/postgresql' --change 'EXPOSE 5432'
             --change 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/bin:/usr/bin:/bin'
             --change 'ENTRYPOINT ["/usr/local/bin/postgres-start"]' --change 'CMD []') ;;
  *) echo "debian-image.sh: unknown image $name (python, redis or postgres)" >&2; exit 2 ;;
esac
image="$IMAGE_PREFIX/$name:$tag"
inputs=$(cat "$0" "$CONTAINERS_DIR/postgres-start" | sha256sum | cut -c1-16)
[ "$(image_inputs "$image")" = "$inputs" ] && exit 0

# The Debian archive the host's apt uses (its mirror and security URIs), bookworm suites.
mirrors=()
main_uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Origin: Debian' 2>/dev/null |
  awk '$2 !~ /-security$/ {print $1; exit}')
security_uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Origin: Debian' 2>/dev/null |
  awk '$2 ~ /-security$/ {print $1; exit}')
if [ -n "$main_uri" ]; then
  mirrors+=("deb $main_uri $SUITE main" "deb $main_uri $SUITE-updates main")
  [ -n "$security_uri" ] && mirrors+=("deb $security_uri $SUITE-security main")
fi # else mmdebstrap's default: deb.debian.org with updates and security
proxy=()
eval "$(apt-config shell http_proxy Acquire::http::Proxy)"
[ -n "${http_proxy:-}" ] && proxy=(--aptopt="Acquire::http::Proxy \"$http_proxy\"")

echo "[containers] making $image from Debian packages (${packages[*]})..." >&2
rootfs=$(mktemp /var/tmp/dapr-commerce-rootfs.XXXXXX.tar)
log=$(mktemp /var/tmp/dapr-commerce-mmdebstrap.XXXXXX.log)
trap 'rm -f "$rootfs" "$log"' EXIT
mmdebstrap --quiet --variant=essential --format=tar "${proxy[@]}" \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --include="$(IFS=,; echo "${packages[*]}")" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
  --customize-hook='rm -rf "$1"/etc/postgresql/*/main "$1"/var/lib/postgresql/*/main' \
  --customize-hook="upload $CONTAINERS_DIR/postgres-start /usr/local/bin/postgres-start" \
  --customize-hook='chmod 0755 "$1"/usr/local/bin/postgres-start' \
  "$SUITE" "$rootfs" "${mirrors[@]}" >"$log" 2>&1 ||
  { tail -n 30 "$log" >&2; echo "[containers] mmdebstrap failed for $image (its log ends above)" >&2; exit 1; }
old=$(image_id "$image")
"$ENGINE" import "${changes[@]}" --change "LABEL $LABEL_INPUTS=$inputs" "$rootfs" "$image" \
  >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
drop_image "$old" "$image"
echo "[containers] $image: $(image_size "$image")" >&2
