#!/usr/bin/env bash
# Installs the Debian packages sohoa needs, only those missing (root or sudo).
# The run-time list is scripts/system-packages.txt (the Dockerfile installs the same one).
#   --test   also what the suite itself uses (docker-compose validates the compose file,
#            Chromium renders the dashboard, PostgreSQL's server binaries for the private
#            cluster of the restart test, Redis as the Celery broker of make celery-check)
#   --print  print the packages that would be checked, one a line, and install nothing
set -euo pipefail
LIST="$(dirname "$0")/system-packages.txt"
mapfile -t PKGS < <(grep -v -e '^\s*#' -e '^\s*$' "$LIST")
for arg in "$@"; do
  [ "$arg" = "--test" ] && PKGS+=(docker-compose chromium postgresql-15 redis-server)
done
for arg in "$@"; do
  [ "$arg" = "--print" ] && { printf '%s\n' "${PKGS[@]}"; exit 0; }
done
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
