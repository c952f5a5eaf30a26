#!/usr/bin/env bash
# Makes sure a Docker engine answers, so the tests can run containers.
#
# Idempotent: if an engine answers already, it only says where. Otherwise,
# as root on Debian, it installs docker.io (if dockerd is missing) and starts
# the engine: through systemd where systemd runs, else dockerd in the
# background with its log in /tmp/kiosc-dockerd.log. Debian bookworm's
# docker.io 20.10 starts with default flags (overlay2, iptables-nft, its own
# containerd), including in containers without systemd.
set -euo pipefail

readonly LOG=/tmp/kiosc-dockerd.log
readonly WAIT_SECONDS=60
readonly DEFAULT_HOST=unix:///var/run/docker.sock

# engine_version prints the server version if an engine answers.
engine_version() {
  if command -v docker >/dev/null 2>&1; then
    docker info --format '{{.ServerVersion}}' 2>/dev/null
  elif [[ -z "${DOCKER_HOST:-}" ]] && command -v curl >/dev/null 2>&1; then
    curl -sf --max-time 5 --unix-socket /var/run/docker.sock http://localhost/version |
      sed -n 's/.*"Version":"\([^"]*\)".*/\1/p'
  else
    return 1
  fi
}

answers() {
  local v
  v="$(engine_version)" && [[ -n "$v" ]] && echo "Docker engine answers at ${DOCKER_HOST:-$DEFAULT_HOST} (server ${v})"
}

if answers; then
  exit 0
fi

if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != "$DEFAULT_HOST" ]]; then
  echo "DOCKER_HOST=$DOCKER_HOST does not answer. Start that engine, or unset DOCKER_HOST to use a local one." >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "No Docker engine answers at $DEFAULT_HOST, and installing or starting one needs root." >&2
  echo "Run this as root (e.g. sudo $0), or start a Docker engine yourself and set DOCKER_HOST." >&2
  exit 1
fi
if [[ ! -f /etc/debian_version ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "No Docker engine answers, and this is not Debian (no /etc/debian_version or apt-get)." >&2
  echo "Install and start a Docker engine yourself, then run this again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "Installing Debian's docker.io (apt-get install -y docker.io) ..."
  export DEBIAN_FRONTEND=noninteractive
  # Waits for a concurrent apt/dpkg run instead of failing on its lock.
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q docker.io
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  echo "dockerd is already running but does not answer yet; waiting up to ${WAIT_SECONDS}s ..."
elif [[ -d /run/systemd/system ]]; then
  echo "Starting Docker with systemctl start docker ..."
  systemctl start docker
else
  echo "Starting dockerd in the background, log: $LOG"
  # setsid detaches it from this terminal, so Ctrl-C on make does not stop it.
  setsid dockerd >"$LOG" 2>&1 </dev/null &
fi

for ((i = 0; i < WAIT_SECONDS; i++)); do
  if answers; then
    exit 0
  fi
  sleep 1
  if ! pgrep -x dockerd >/dev/null 2>&1; then
    break
  fi
done

echo "Docker engine did not answer (waited up to ${WAIT_SECONDS}s; dockerd running: $(pgrep -x dockerd >/dev/null 2>&1 && echo yes || echo no))." >&2
if [[ -f "$LOG" ]]; then
  echo "Last lines of $LOG:" >&2
  tail -n 30 "$LOG" >&2
elif [[ -d /run/systemd/system ]]; then
  journalctl -u docker --no-pager -n 30 >&2 || true
fi
echo "If it failed on iptables, try: update-alternatives --set iptables /usr/sbin/iptables-legacy" >&2
exit 1
