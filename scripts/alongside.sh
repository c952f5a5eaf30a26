#!/usr/bin/env bash
# alongside.sh "BACKGROUND COMMAND" FOREGROUND COMMAND...
#
# Runs the first command in the background (its output kept in a file) while the rest of the arguments run in the
# foreground, then prints the background command's output and exits non-zero when either failed. `make test` uses
# it to run the Swarm runtime's tests, which mostly wait on a private engine, while vitest and the browser tests
# run.
set -uo pipefail

if [ $# -lt 2 ]; then
	echo "usage: $0 \"BACKGROUND COMMAND\" FOREGROUND COMMAND..." >&2
	exit 2
fi
background=$1
shift

log=$(mktemp -t kiosc-alongside.XXXXXX)
setsid bash -c "$background" >"$log" 2>&1 &
pid=$!
# The background command and its children go when this script is interrupted.
trap 'kill -- -$pid 2>/dev/null || kill $pid 2>/dev/null; rm -f "$log"; exit 130' INT TERM

"$@"
fg=$?

wait "$pid"
bg=$?
echo "--- output of: $background ---"
cat "$log"
echo "--- end (exit status $bg) ---"
rm -f "$log"
trap - INT TERM
if [ "$fg" -ne 0 ]; then
	exit "$fg"
fi
exit "$bg"
