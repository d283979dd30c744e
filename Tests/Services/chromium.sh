# Debian's chromium, for the status page test (PostgresStatusPageTests): no server, just where the browser is.
# Exports CLAIRE_TEST_CHROMIUM; the test skips, saying so, without it.
# packages: chromium
# Sourced by Tests/run.sh.

if command -v chromium >/dev/null 2>&1; then
  export CLAIRE_TEST_CHROMIUM="$(command -v chromium)"
else
  echo "chromium.sh: no chromium; the status page test will be skipped" >&2
fi
