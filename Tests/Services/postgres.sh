# PostgreSQL for the shared-queue suite (PostgresLedgerTests): a throwaway cluster on a free loopback port.
# Exports CLAIRE_TEST_POSTGRES_URL (a database tests may create others beside) and
# CLAIRE_TEST_POSTGRES_RESTART (a script that restarts the server, for the reconnect test).
# packages: postgresql
# Sourced by Tests/run.sh, which defines on_exit and CLAIRE_TEST_SERVICES_DIR.

claire_start_postgres() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "postgres.sh: no PostgreSQL server under /usr/lib/postgresql; the PostgreSQL suite will be skipped" >&2
    return 0
  fi
  local as_postgres=()
  if [ "$(id -u)" -eq 0 ]; then
    as_postgres=(runuser -u postgres --)  # the server refuses to run as root
  fi
  local dir="$CLAIRE_TEST_SERVICES_DIR/postgres"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    chmod o+x "$CLAIRE_TEST_SERVICES_DIR"  # mktemp makes it 0700; the postgres user must pass through it
    chown postgres: "$dir"
  fi
  chmod 700 "$dir"
  local port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  local options="-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=100"
  "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -o "$options" -w start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
  on_exit "${as_postgres[*]} '$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1"
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres claire_test
  cat >"$dir/restart" <<RESTART
#!/usr/bin/env bash
# Restarts the test server (fast shutdown: open connections are closed, as in a real restart).
exec ${as_postgres[*]} '$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -o '$options' -m fast -w restart >/dev/null
RESTART
  chmod 755 "$dir/restart"
  export CLAIRE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/claire_test"
  export CLAIRE_TEST_POSTGRES_RESTART="$dir/restart"
  export CLAIRE_TEST_POSTGRES_BIN="$bin"
  echo "postgres.sh: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}
claire_start_postgres
