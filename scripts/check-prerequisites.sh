#!/usr/bin/env bash
# Checks the build prerequisites and names exactly what is missing.
set -euo pipefail
fail=0
if ! command -v go >/dev/null 2>&1; then
  echo "missing prerequisite: Go 1.26 or newer (https://go.dev/dl/), on PATH as 'go'" >&2
  fail=1
else
  v=$(go env GOVERSION | sed 's/^go//')
  major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
  if (( major < 1 || (major == 1 && minor < 26) )); then
    echo "missing prerequisite: Go 1.26 or newer (found go$v)" >&2
    fail=1
  fi
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "missing prerequisite: Node.js 20.19 or newer with npm (e.g. Debian's nodejs from NodeSource, or nvm)" >&2
  fail=1
else
  v=$(node --version | sed 's/^v//')
  IFS=. read -r major minor _ <<<"$v"
  if (( major < 20 || (major == 20 && minor < 19) || (major == 21) || (major == 22 && minor < 12) )); then
    echo "missing prerequisite: Node.js ^20.19 or >=22.12 (found v$v)" >&2
    fail=1
  fi
fi
exit $fail
