#!/usr/bin/env bash
# Makes sure Debian's docker-registry (the Docker distribution registry v2)
# is installed at /usr/bin/docker-registry. The Go tests that pull from a
# registry start their own on 127.0.0.1 with a generated configuration; they
# run this script when the binary is missing (app/docker/dockertest).
#
# Idempotent; installing needs root on Debian. Debian's package also installs
# a docker-registry service (port 5000 on all interfaces) and starts it where
# services may start; the tests do not use it, so a fresh installation stops
# and disables it.
set -euo pipefail

readonly REGISTRY=/usr/bin/docker-registry

version() {
  "$REGISTRY" --version 2>/dev/null || echo "version unknown"
}

if [[ -x "$REGISTRY" ]]; then
  echo "docker-registry found: $REGISTRY ($(version))"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "$REGISTRY is missing, and installing it needs root." >&2
  echo "Run this as root (e.g. sudo $0), or install Debian's docker-registry package yourself." >&2
  exit 1
fi
if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$REGISTRY is missing, and this is not Debian (no /etc/debian_version or apt-get)." >&2
  echo "Install the Docker distribution registry v2 yourself so that $REGISTRY exists." >&2
  exit 1
fi

echo "Installing Debian's docker-registry (apt-get install -y docker-registry) ..."
export DEBIAN_FRONTEND=noninteractive
# needrestart (if installed) only lists services instead of restarting them, dockerd among them.
export NEEDRESTART_MODE=l
# Waits for a concurrent apt/dpkg run instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q docker-registry

echo "Stopping and disabling the package's docker-registry service (the tests start their own registries) ..."
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now docker-registry.service || true
else
  /etc/init.d/docker-registry stop >/dev/null 2>&1 || true
  update-rc.d docker-registry disable >/dev/null 2>&1 || true
fi
echo "docker-registry installed: $REGISTRY ($(version))"
