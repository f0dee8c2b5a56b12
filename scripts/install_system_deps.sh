#!/usr/bin/env bash
# Installs the Debian packages sohoa needs, only those missing (root or sudo).
set -euo pipefail
PKGS=(tesseract-ocr tesseract-ocr-vie fonts-liberation2 fonts-dejavu-core poppler-utils jbig2dec)
# `--test`: also what the suite itself uses (docker-compose validates the compose file,
# Chromium renders the dashboard for the browser test).
[ "${1:-}" = "--test" ] && PKGS+=(docker-compose chromium)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "Installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
