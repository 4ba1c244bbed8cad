#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on 127.0.0.1 for the server tests and prints the line that
# points them at it:  eval "$(scripts/ci-postgres.sh)"
# Debian (as root): installs postgresql when missing; idempotent (a second run reuses the
# cluster). Listens on loopback only.
set -euo pipefail
port="${SENSOR_TEST_POSTGRES_PORT:-55432}"
base="${SENSOR_TEST_POSTGRES_DIR:-/tmp/session-sensor-pg}"

if ! ls /usr/lib/postgresql/*/bin/initdb > /dev/null 2>&1; then
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
run() { runuser -u postgres -- "$@"; }

mkdir -p "$base"
chown postgres:postgres "$base"
if [ ! -f "$base/data/PG_VERSION" ]; then
    run "$bin/initdb" -D "$base/data" -A trust -U postgres > /dev/null
fi
if ! run "$bin/pg_ctl" -D "$base/data" status > /dev/null 2>&1; then
    run "$bin/pg_ctl" -D "$base/data" -l "$base/log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base -c fsync=off" start > /dev/null
fi
if ! run "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'sensor_test'" | grep -q 1; then
    run "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE sensor_test" > /dev/null
fi
echo "export SENSOR_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/sensor_test"
