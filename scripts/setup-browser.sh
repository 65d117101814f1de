#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the browser test of the public pages.
# Idempotent; needs root (CI runs as root). Without root it only says what is missing.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-browser: chromium/chromedriver missing; run as root to install them (apt-get install chromium chromium-driver)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
echo "setup-browser: installed $(chromium --version 2>/dev/null)"
