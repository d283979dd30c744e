#!/usr/bin/env bash
# Crash soak, outside CI: the daemon crash test with 20 SIGKILLs at moments spread over a full run (CI keeps
# 7), repeated ROUNDS times (default 1). Each round kills the real daemon process, restarts it until it
# finishes, and compares every output with an uninterrupted run's.
#
#   Tests/Soak/daemon-kill-soak.sh [ROUNDS] [KILLS]
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds="${1:-1}"
export CLAIRE_DAEMON_KILLS="${2:-20}"
swift build -c release -Xswiftc -enable-testing --build-tests
for round in $(seq 1 "$rounds"); do
  echo "soak round $round/$rounds: $CLAIRE_DAEMON_KILLS kills"
  swift test -c release -Xswiftc -enable-testing --skip-build --filter 'DaemonCrashTests/killedAtAnyMomentEveryOutputEndsUpOnceAndComplete'
done
