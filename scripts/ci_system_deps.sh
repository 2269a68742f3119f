#!/usr/bin/env bash
# Debian packages the test suite needs that pip and npm cannot provide:
# Playwright drives Debian's chromium (/usr/bin/chromium) because browser
# downloads are not available, and fonts-liberation gives it real fonts so
# screenshots and layout tests are stable. PostgreSQL 15 and Redis back the
# production-configuration and scale-out tests (scripts/services.sh starts
# project-local instances of them under var/); nginx is the load balancer in
# front of the replicas in `make topology` (deploy/nginx/). Idempotent: when every package
# is already installed it returns without touching apt.
set -euo pipefail

PACKAGES=(chromium fonts-liberation postgresql-15 redis-server nginx)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "ci_system_deps: already installed: ${PACKAGES[*]}"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ci_system_deps: missing ${missing[*]}; run this script as root (or with sudo)" >&2
  exit 1
fi

echo "ci_system_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
