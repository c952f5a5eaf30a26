#!/usr/bin/env bash
# Makes sure nginx is installed, for the proxy benchmark (`make bench BENCH=proxy`), which compares kiosc with nginx
# as a reverse proxy to the same app. The benchmark starts its own nginx in the foreground on a free loopback port
# with a configuration it writes into a temporary directory.
#
# Idempotent: if nginx is on the PATH (or in /usr/sbin), it only says which. Otherwise, as root on Debian, it
# installs Debian's nginx-light. The package also installs an nginx service (port 80 on all interfaces) and starts
# it where services may start; the benchmark does not use it, so a fresh installation stops and disables it.
set -euo pipefail

find_nginx() {
  command -v nginx 2>/dev/null || { [[ -x /usr/sbin/nginx ]] && echo /usr/sbin/nginx; }
}

if bin="$(find_nginx)"; then
  echo "nginx found: $bin ($("$bin" -v 2>&1))"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "nginx is missing, and installing it needs root." >&2
  echo "Run this as root (e.g. sudo $0), or install nginx yourself." >&2
  exit 1
fi
if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "nginx is missing, and this is not Debian (no /etc/debian_version or apt-get)." >&2
  echo "Install nginx yourself so that it is on the PATH." >&2
  exit 1
fi

echo "Installing Debian's nginx-light (apt-get install -y nginx-light) ..."
export DEBIAN_FRONTEND=noninteractive
# needrestart (if installed) only lists services instead of restarting them, dockerd among them.
export NEEDRESTART_MODE=l
# Waits for a concurrent apt/dpkg run instead of failing on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q nginx-light

echo "Stopping and disabling the package's nginx service (the benchmark starts its own nginx) ..."
if [[ -d /run/systemd/system ]]; then
  systemctl disable --now nginx.service || true
else
  /etc/init.d/nginx stop >/dev/null 2>&1 || true
  update-rc.d nginx disable >/dev/null 2>&1 || true
fi
bin="$(find_nginx)"
echo "nginx installed: $bin ($("$bin" -v 2>&1))"
