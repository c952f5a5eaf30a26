#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium for the
# browser tests. Idempotent; installing needs root on Debian.
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "Chromium found: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null || echo "version unknown"))"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "$CHROMIUM is missing, and installing it needs root." >&2
  echo "Run this as root (e.g. sudo $0), or install Debian's chromium package yourself." >&2
  exit 1
fi
if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$CHROMIUM is missing, and this is not Debian (no /etc/debian_version or apt-get)." >&2
  echo "Install Chromium yourself so that $CHROMIUM exists." >&2
  exit 1
fi

echo "Installing Debian's chromium (apt-get install -y chromium) ..."
export DEBIAN_FRONTEND=noninteractive
# Waits for a concurrent apt/dpkg run instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q chromium
echo "Chromium installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
