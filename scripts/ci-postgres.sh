#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the server tests, listening on 127.0.0.1 only, and prints
# the line that points the tests at it:
#
#     eval "$(scripts/ci-postgres.sh)"
#     # export SENSOR_TEST_POSTGRES_URL=postgres://sensor_test:sensor_test@127.0.0.1:55432/sensor_test
#
# For CI on a fresh Debian machine, as root: installs `postgresql` (apt-get) only when it is
# missing, initialises a cluster of its own in $SENSOR_TEST_POSTGRES_DIR (run as the postgres
# user), starts it on $SENSOR_TEST_POSTGRES_PORT, and creates a role (allowed to create the
# per-test databases) and a database. Idempotent: a second run reuses the running cluster, the
# role and the database. Everything but the export line goes to standard error. The cluster runs
# with fsync off: it is for tests, never for data.
set -euo pipefail

port="${SENSOR_TEST_POSTGRES_PORT:-55432}"
base="${SENSOR_TEST_POSTGRES_DIR:-/tmp/session-sensor-pg}"
role=sensor_test
password=sensor_test
database=sensor_test

say() { echo "ci-postgres: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    say "run as root (it installs packages and switches to the postgres user)"
    exit 1
fi

if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
    say "installing postgresql"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql; } >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { runuser -u postgres -- "$@"; }
# The superuser connects through the cluster's own socket directory (peer authentication).
psql_in() { local db=$1; shift; as_postgres "$bin/psql" -h "$base" -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qtA "$@"; }
psql_admin() { psql_in postgres "$@"; }

mkdir -p "$base"
chown postgres:postgres "$base"
chmod 700 "$base"

if [ ! -f "$base/data/PG_VERSION" ]; then
    say "initialising a cluster in $base/data"
    as_postgres "$bin/initdb" -D "$base/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --no-instructions > /dev/null
fi

if ! as_postgres "$bin/pg_ctl" -D "$base/data" status > /dev/null 2>&1; then
    say "starting PostgreSQL on 127.0.0.1:$port"
    as_postgres "$bin/pg_ctl" -D "$base/data" -l "$base/log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$base -c max_connections=300 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off" > /dev/null
fi

psql_admin -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
        CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
    END IF;
END \$\$;"
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
    psql_admin -c "CREATE DATABASE $database OWNER $role"
fi
# Owning the database owns its public schema (PostgreSQL 15): the role can create tables there,
# and use those another role left in it on an earlier run.
psql_admin -c "ALTER DATABASE $database OWNER TO $role"
psql_in "$database" -c "GRANT ALL ON ALL TABLES IN SCHEMA public TO $role" \
    -c "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO $role"

# Prove the URL works the way the tests will use it: TCP on loopback, with the password.
PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$role" -d "$database" -qtAc "SELECT 1" > /dev/null

echo "export SENSOR_TEST_POSTGRES_URL=postgres://$role:$password@127.0.0.1:$port/$database"
