#!/usr/bin/env bash
# Runs a test command with the real servers some suites use: installs what the suite needs, starts the servers
# (each Tests/Services/*.sh starts one, exports where it is, and registers how to stop it), runs the command
# it is given, then stops the servers, whatever the outcome. The README's test command is
#   Tests/run.sh swift test -c release -Xswiftc -enable-testing
set -euo pipefail
cd "$(dirname "$0")/.."

Tests/install-packages.sh

# Servers are stopped in reverse order on any exit.
cleanup_steps=()
run_cleanup() {
  local i
  for ((i = ${#cleanup_steps[@]} - 1; i >= 0; i--)); do eval "${cleanup_steps[$i]}" || true; done
}
trap run_cleanup EXIT
on_exit() { cleanup_steps+=("$1"); }

export CLAIRE_TEST_SERVICES_DIR="${CLAIRE_TEST_SERVICES_DIR:-$(mktemp -d /tmp/claire-test-services.XXXXXX)}"
on_exit "rm -rf '$CLAIRE_TEST_SERVICES_DIR'"
for service in Tests/Services/*.sh; do
  [ -e "$service" ] || continue
  # shellcheck source=/dev/null
  source "$service"
done

if [ $# -eq 0 ]; then
  echo "usage: Tests/run.sh COMMAND...   e.g. Tests/run.sh swift test -c release -Xswiftc -enable-testing" >&2
  exit 64
fi
"$@"
