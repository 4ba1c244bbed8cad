#!/usr/bin/env bash
# A two-node PostgreSQL 15 high-availability cluster under Patroni (Debian packages only), on
# 127.0.0.1 only, for failover benchmarks: one etcd 3.4 (v3 API, Patroni's `etcd3:` DCS) and two
# Patroni nodes with synchronous replication (`synchronous_mode: true`, not strict).
#
#   Benchmarks/patroni-cluster.sh up DIR              # install if missing, start, wait healthy, print URLs
#   Benchmarks/patroni-cluster.sh leader DIR          # print the current leader's PostgreSQL port
#   Benchmarks/patroni-cluster.sh failover DIR        # controlled switchover to the sync replica
#   Benchmarks/patroni-cluster.sh failover DIR --kill # kill -9 the leader's Patroni + postmaster (+ backends)
#   Benchmarks/patroni-cluster.sh rejoin DIR          # restart Patroni nodes that are down (after --kill)
#   Benchmarks/patroni-cluster.sh status DIR          # patronictl list
#   Benchmarks/patroni-cluster.sh down DIR            # stop everything started here and remove DIR
#
# `up` prints exactly, on stdout:
#   PRIMARY_URL=postgres://sensor:sensor@127.0.0.1:<leader port>/sensor
#   MULTI_HOST_URL=postgres://sensor:sensor@127.0.0.1:<port1>,127.0.0.1:<port2>/sensor?target_session_attrs=read-write
#   NODE1_PORT=<port1>
#   NODE2_PORT=<port2>
# `failover` prints NEW_LEADER_PORT=<port> and FAILOVER_SECONDS=<s>: the time from the switchover
# request (or the kill) until the other node is leader, `pg_is_in_recovery()` is f there and a
# write transaction commits there. After --kill the killed node stays down until `rejoin`.
# Progress goes to stderr; daemon logs are DIR/etcd.log, DIR/node1.log, DIR/node2.log.
#
# Must run as root (it installs packages and runs every daemon as the `postgres` user, since
# PostgreSQL refuses to run as root); DIR and all its parents must be traversable by `postgres`
# (e.g. under /tmp, not under /root).
set -euo pipefail

PGBIN=/usr/lib/postgresql/15/bin
PY=/usr/bin/python3               # the Debian python (Patroni's); not a pyenv shim
SCOPE=sensor-bench
SU_USER=postgres;   SU_PASS=patroni-superuser
REPL_USER=replicator; REPL_PASS=patroni-replication
REWIND_USER=rewinder; REWIND_PASS=patroni-rewind
MARKER=.patroni-cluster            # DIR/$MARKER holds the ports; `down` only removes a DIR that has it

log() { echo "patroni-cluster: $*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

as_pg() { runuser -u postgres -- env HOME="$DIR" PATH="$PGBIN:/usr/sbin:/usr/bin:/sbin:/bin" "$@"; }

now() { date +%s.%N; }

# --- state ---------------------------------------------------------------------------------------
load_env() {
    [ -f "$DIR/$MARKER" ] || die "$DIR is not a cluster directory made by this script (no $MARKER)"
    DIR=$(cd "$DIR" && pwd)
    # shellcheck disable=SC1090
    . "$DIR/$MARKER"
}

node_port() { eval "echo \$PG_PORT$1"; }
node_rest() { eval "echo \$REST_PORT$1"; }

# pid from a pid file if that process is alive and its command line contains $2
live_pid() {
    local f=$1 want=$2 pid
    [ -s "$f" ] || return 1
    pid=$(head -n1 "$f")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$want" || return 1
    echo "$pid"
}
patroni_pid()   { live_pid "$DIR/node$1.pid" "node$1.yaml"; }
postmaster_pid() { live_pid "$DIR/node$1/data/postmaster.pid" "$DIR/node$1/data"; }
etcd_pid()      { live_pid "$DIR/etcd.pid" "etcd"; }

# --- REST / SQL probes ---------------------------------------------------------------------------
# GET /cluster from whichever node answers; prints the JSON or fails.
cluster_json() {
    local n
    for n in 1 2; do
        curl -fsS --max-time 2 "http://127.0.0.1:$(node_rest "$n")/cluster" 2>/dev/null && return 0
    done
    return 1
}

# "name port role state" per member
members() {
    cluster_json | "$PY" -c '
import json, sys
for m in json.load(sys.stdin).get("members", []):
    print(m.get("name"), m.get("port"), m.get("role"), m.get("state"))'
}

leader_port() { members 2>/dev/null | awk '$3 == "leader" && $4 == "running" {print $2; exit}'; }
node_of_port() { local n; for n in 1 2; do [ "$(node_port "$n")" != "$1" ] || { echo "$n"; return 0; }; done; return 1; }

su_psql() { # port sql...
    local port=$1; shift
    PGPASSWORD=$SU_PASS PGCONNECT_TIMEOUT=2 timeout 5 "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$port" \
        -U "$SU_USER" -d postgres "$@" 2>/dev/null
}
sensor_psql() { # port sql...
    local port=$1; shift
    PGPASSWORD=sensor PGCONNECT_TIMEOUT=2 timeout 5 "$PGBIN/psql" -X -qAt -h 127.0.0.1 -p "$port" \
        -U sensor -d sensor "$@" 2>/dev/null
}

# leader running, the other member a streaming sync_standby, pg_stat_replication on the leader says sync
healthy() {
    local ms lp
    ms=$(members 2>/dev/null) || return 1
    lp=$(awk '$3 == "leader" && $4 == "running" {print $2}' <<<"$ms")
    [ -n "$lp" ] || return 1
    awk '$3 == "sync_standby" && ($4 == "running" || $4 == "streaming") {f=1} END {exit !f}' <<<"$ms" || return 1
    [ "$(su_psql "$lp" -c "select count(*) from pg_stat_replication where state = 'streaming' and sync_state = 'sync'")" = 1 ]
}

wait_healthy() { # timeout-seconds
    local deadline=$(( $(date +%s) + $1 ))
    until healthy; do
        [ "$(date +%s)" -lt "$deadline" ] || return 1
        sleep 0.5
    done
}

# the node on $1 is primary and a write transaction commits there (through the sensor role)
accepts_writes() {
    [ "$(sensor_psql "$1" -c 'select pg_is_in_recovery()')" = f ] || return 1
    sensor_psql "$1" -c 'select txid_current()' >/dev/null
}

# --- install -------------------------------------------------------------------------------------
install_missing() {
    local missing=() p
    # python3-etcd is Patroni's etcd client (needed for both etcd: and etcd3:); it normally comes in
    # with patroni, but is a Depends alternative, so make sure.
    for p in patroni etcd-server python3-etcd; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ -x "$PGBIN/postgres" ] || die "PostgreSQL 15 not found in $PGBIN"
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]}"
        apt-get update >&2
        # policy-rc.d/no systemd: the packaged etcd service is not started; if it were, it would be on :2379,
        # which we don't use.
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >&2
    fi
}

free_ports() { # count
    "$PY" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# --- start ---------------------------------------------------------------------------------------
start_etcd() {
    # (runuser called directly, not via as_pg, so no bash subshell lingers as the daemon's parent)
    runuser -u postgres -- env HOME="$DIR" setsid sh -c 'cd "$1" && echo $$ > etcd.pid && exec etcd --name etcd0 --data-dir "$1/etcd" \
        --listen-client-urls "http://127.0.0.1:$2" --advertise-client-urls "http://127.0.0.1:$2" \
        --listen-peer-urls "http://127.0.0.1:$3" --initial-advertise-peer-urls "http://127.0.0.1:$3" \
        --initial-cluster "etcd0=http://127.0.0.1:$3" --initial-cluster-state new \
        --initial-cluster-token "$4"' sh "$DIR" "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$SCOPE-$ETCD_CLIENT_PORT" \
        </dev/null >>"$DIR/etcd.log" 2>&1 &
    local deadline=$(( $(date +%s) + 30 ))
    until curl -fsS --max-time 1 "http://127.0.0.1:$ETCD_CLIENT_PORT/health" 2>/dev/null | grep -q '"health":"true"'; do
        [ "$(date +%s)" -lt "$deadline" ] || { tail -20 "$DIR/etcd.log" >&2; die "etcd did not become healthy"; }
        sleep 0.2
    done
    log "etcd up on 127.0.0.1:$ETCD_CLIENT_PORT (peer $ETCD_PEER_PORT)"
}

start_node() { # n
    local n=$1
    runuser -u postgres -- env HOME="$DIR" PATH="$PGBIN:/usr/bin:/bin" setsid sh -c 'cd "$1" && echo $$ > "node$2.pid" && exec patroni "$1/node$2.yaml"' sh "$DIR" "$n" \
        </dev/null >>"$DIR/node$n.log" 2>&1 &
    log "patroni node$n started (postgres 127.0.0.1:$(node_port "$n"), REST 127.0.0.1:$(node_rest "$n"))"
}

socket_dir() { # n — keep sockets in DIR unless the path would exceed the 107-byte sun_path limit
    local d="$DIR/node$1"
    if [ $(( ${#d} + 17 )) -lt 100 ]; then echo "$d"; else echo /tmp; fi
}

write_configs() {
    cat > "$DIR/post_bootstrap.sh" <<'SH'
#!/bin/sh
# Patroni post_bootstrap: $1 is a connection string to the new primary (as the superuser).
set -e
psql -X -v ON_ERROR_STOP=1 "$1" -c "CREATE ROLE sensor LOGIN PASSWORD 'sensor'" \
    -c "CREATE DATABASE sensor OWNER sensor"
SH
    chmod 755 "$DIR/post_bootstrap.sh"
    local n
    for n in 1 2; do
        mkdir -p "$DIR/node$n"
        cat > "$DIR/node$n.yaml" <<YAML
scope: $SCOPE
namespace: /service/
name: node$n

log:
  level: INFO

restapi:
  listen: 127.0.0.1:$(node_rest "$n")
  connect_address: 127.0.0.1:$(node_rest "$n")

etcd3:
  hosts: 127.0.0.1:$ETCD_CLIENT_PORT

bootstrap:
  dcs:
    ttl: 10
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    synchronous_mode_strict: false
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 256MB
        synchronous_commit: "on"
  initdb:
    - encoding: UTF8
    - locale: C
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication $REPL_USER 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
  post_bootstrap: $DIR/post_bootstrap.sh

postgresql:
  listen: 127.0.0.1:$(node_port "$n")
  connect_address: 127.0.0.1:$(node_port "$n")
  data_dir: $DIR/node$n/data
  bin_dir: $PGBIN
  pgpass: $DIR/node$n/pgpass
  basebackup:
    - checkpoint: fast   # a spread checkpoint makes cloning the replica take ~1.5 min
  authentication:
    superuser:
      username: $SU_USER
      password: $SU_PASS
    replication:
      username: $REPL_USER
      password: $REPL_PASS
    rewind:
      username: $REWIND_USER
      password: $REWIND_PASS
  parameters:
    unix_socket_directories: '$(socket_dir "$n")'
    password_encryption: scram-sha-256

tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
  nosync: false
YAML
    done
}

cmd_up() {
    [ "$(id -u)" = 0 ] || die "run as root (installs packages, runs daemons as postgres)"
    install_missing
    if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR" 2>/dev/null)" ]; then
        die "$DIR exists and is not empty (use 'down $DIR' first)"
    fi
    mkdir -p "$DIR"
    DIR=$(cd "$DIR" && pwd)
    chown postgres:postgres "$DIR"
    chmod 700 "$DIR"
    runuser -u postgres -- test -w "$DIR" || die "user postgres cannot write $DIR (is a parent directory closed to it?)"

    read -r ETCD_CLIENT_PORT ETCD_PEER_PORT REST_PORT1 REST_PORT2 PG_PORT1 PG_PORT2 <<<"$(free_ports 6)"
    cat > "$DIR/$MARKER" <<ENV
ETCD_CLIENT_PORT=$ETCD_CLIENT_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
REST_PORT1=$REST_PORT1
REST_PORT2=$REST_PORT2
PG_PORT1=$PG_PORT1
PG_PORT2=$PG_PORT2
ENV
    write_configs
    chown -R postgres:postgres "$DIR"

    start_etcd
    start_node 1
    # let node1 take the initialize key and bootstrap, so node2 clones it rather than racing
    local deadline=$(( $(date +%s) + 60 ))
    until [ -n "$(leader_port)" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || { tail -30 "$DIR/node1.log" >&2; die "node1 did not become leader"; }
        patroni_pid 1 >/dev/null || { tail -30 "$DIR/node1.log" >&2; die "node1 exited"; }
        sleep 0.5
    done
    start_node 2
    log "waiting for a leader and a streaming synchronous replica"
    if ! wait_healthy 120; then
        tail -20 "$DIR/node1.log" "$DIR/node2.log" >&2
        die "cluster did not become healthy within 120 s"
    fi
    local lp; lp=$(leader_port)
    accepts_writes "$lp" || die "leader on $lp does not accept writes as sensor"
    log "cluster healthy: leader on $lp"
    echo "PRIMARY_URL=postgres://sensor:sensor@127.0.0.1:$lp/sensor"
    echo "MULTI_HOST_URL=postgres://sensor:sensor@127.0.0.1:$PG_PORT1,127.0.0.1:$PG_PORT2/sensor?target_session_attrs=read-write"
    echo "NODE1_PORT=$PG_PORT1"
    echo "NODE2_PORT=$PG_PORT2"
}

cmd_leader() {
    local lp deadline=$(( $(date +%s) + 10 ))
    until lp=$(leader_port) && [ -n "$lp" ]; do
        [ "$(date +%s)" -lt "$deadline" ] || die "no leader"
        sleep 0.2
    done
    echo "$lp"
}

kill_node() { # n — simulate a crashed machine: Patroni, the postmaster and all its children, SIGKILL
    local n=$1 ppid mpid
    ppid=$(patroni_pid "$n") || ppid=""
    mpid=$(postmaster_pid "$n") || mpid=""
    [ -n "$ppid" ] && kill -9 "$ppid" 2>/dev/null || true
    if [ -n "$mpid" ]; then
        local kids; kids=$(pgrep -P "$mpid" || true)
        kill -9 "$mpid" $kids 2>/dev/null || true
    fi
    log "killed node$n (patroni pid ${ppid:-none}, postmaster pid ${mpid:-none})"
}

cmd_failover() {
    local mode=${1:-}
    [ -z "$mode" ] || [ "$mode" = --kill ] || usage
    log "waiting for a healthy cluster (leader + streaming sync replica) before failing over"
    wait_healthy 90 || die "cluster not healthy (needs a sync replica to fail over to; after --kill, run 'rejoin')"
    local lp ln cn cp t0 t1
    lp=$(leader_port); ln=$(node_of_port "$lp"); cn=$((3 - ln)); cp=$(node_port "$cn")
    log "leader node$ln ($lp) -> candidate node$cn ($cp)"
    t0=$(now)
    if [ "$mode" = --kill ]; then
        kill_node "$ln"
    else
        patronictl -c "$DIR/node$cn.yaml" switchover --leader "node$ln" --candidate "node$cn" --force >&2
    fi
    local deadline=$(( $(date +%s) + 120 ))
    until [ "$(leader_port)" = "$cp" ] && accepts_writes "$cp"; do
        [ "$(date +%s)" -lt "$deadline" ] || die "node$cn did not become a writable leader within 120 s"
        sleep 0.1
    done
    t1=$(now)
    echo "NEW_LEADER_PORT=$cp"
    echo "FAILOVER_SECONDS=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"
    [ "$mode" = --kill ] && log "node$ln stays down; 'rejoin $DIR' restarts it as a replica"
    return 0
}

cmd_rejoin() {
    local n
    for n in 1 2; do
        patroni_pid "$n" >/dev/null && continue
        # a crashed postmaster can leave orphan backends holding the shared memory; make sure they are gone
        kill_node "$n" >/dev/null 2>&1 || true
        start_node "$n"
    done
    wait_healthy 120 || die "cluster did not become healthy again within 120 s"
    log "cluster healthy: leader on $(leader_port)"
}

cmd_status() { patronictl -c "$DIR/node1.yaml" list; }

cmd_down() {
    if [ ! -e "$DIR" ]; then log "$DIR does not exist"; return 0; fi
    load_env
    local n pid deadline
    for n in 1 2; do
        pid=$(patroni_pid "$n") && kill -TERM "$pid" 2>/dev/null || true
    done
    deadline=$(( $(date +%s) + 30 ))
    while { patroni_pid 1 || patroni_pid 2; } >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
    for n in 1 2; do
        if pid=$(patroni_pid "$n"); then kill -9 "$pid" 2>/dev/null || true; fi
        if pid=$(postmaster_pid "$n"); then
            # Patroni normally stops PostgreSQL itself; this covers a killed Patroni
            as_pg "$PGBIN/pg_ctl" -D "$DIR/node$n/data" -m immediate -w -t 20 stop >/dev/null 2>&1 || kill -9 "$pid" 2>/dev/null || true
        fi
    done
    if pid=$(etcd_pid); then
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$(( $(date +%s) + 10 ))
        while etcd_pid >/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do sleep 0.2; done
        etcd_pid >/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$DIR"
    log "stopped and removed $DIR"
}

[ $# -ge 2 ] || usage
cmd=$1; DIR=$2; shift 2
case "$cmd" in
    up) cmd_up ;;
    leader) load_env; cmd_leader ;;
    failover) load_env; cmd_failover "$@" ;;
    rejoin) load_env; cmd_rejoin ;;
    status) load_env; cmd_status ;;
    down) cmd_down ;;
    *) usage ;;
esac
