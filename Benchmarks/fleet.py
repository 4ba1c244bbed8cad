#!/usr/bin/env python3
"""The fleet benchmark's driver (Benchmarks/fleet.sh builds the binaries and calls it).

  fleet.py run --work DIR --bin DIR --gen-corpus FILE [--laptops 12] [--replicas 2]
               [--mb-per-laptop 4] [--seed 100] [--samples 20] [--no-faults] [--stagger 0.5]
               [--json-out FILE] [--compare-with FILE] [--logs DIR]
  fleet.py lb PORT BACKEND_PORT...      the round-robin TCP balancer (a process of its own)

Everything it starts is its own child (PostgreSQL's postmaster too, not detached by pg_ctl),
so the CPU of every process, those killed included, is known from wait4's rusage, and that of
the live ones from /proc/PID/stat (utime+stime, plus cutime+cstime: what they have reaped).
Python 3 standard library only.
"""
import argparse
import asyncio
import collections
import glob
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

CLK = os.sysconf("SC_CLK_TCK")


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The load balancer: round robin over fixed loopback ports, skipping one that refuses.

def load_balancer(port, backends):
    turn = 0

    async def pipe(reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                writer.write(data)
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (OSError, asyncio.IncompleteReadError):
            pass

    async def handle(client_reader, client_writer):
        nonlocal turn
        backend = None
        for _ in range(len(backends)):
            candidate = backends[turn % len(backends)]
            turn += 1
            try:
                backend = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", candidate), 2)
                break
            except (OSError, asyncio.TimeoutError):
                continue
        if backend is None:  # every replica down: the client sees the connection close
            client_writer.close()
            return
        backend_reader, backend_writer = backend
        await asyncio.gather(pipe(client_reader, backend_writer), pipe(backend_reader, client_writer))
        for w in (backend_writer, client_writer):
            try:
                w.close()
            except OSError:
                pass

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port, reuse_address=True, backlog=512)
        print("balancing", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --------------------------------------------------------------------------------------------
# Processes and their CPU.

def proc_table():
    """pid -> (ppid, own+reaped CPU seconds) for every process now."""
    table = {}
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            text = open(stat, "rb").read().decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        table[int(stat.split("/")[2])] = (int(fields[1]), sum(int(x) for x in fields[11:15]) / CLK)
    return table


class Ledger:
    """CPU seconds per role: of the processes reaped (wait4) plus the live trees (/proc)."""

    def __init__(self):
        self.done = collections.defaultdict(float)
        self.live = {}  # pid -> (role, Popen)
        self.lock = threading.Lock()

    def spawn(self, role, args, **kw):
        p = subprocess.Popen(args, **kw)
        with self.lock:
            self.live[p.pid] = (role, p)
        return p

    def reap(self, p, timeout=None, kill_after=True):
        """Waits for p (SIGKILL after timeout when kill_after), adds its rusage; returns the exit code."""
        deadline = None if timeout is None else time.time() + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.time() > deadline:
                if not kill_after:
                    return None
                p.kill()
                deadline = None
            time.sleep(0.05)
        with self.lock:
            role, _ = self.live.pop(p.pid)
            self.done[role] += usage.ru_utime + usage.ru_stime
        p.returncode = os.waitstatus_to_exitcode(status)
        return p.returncode

    def sample(self):
        table = proc_table()
        children = collections.defaultdict(list)
        for pid, (ppid, _) in table.items():
            children[ppid].append(pid)

        def tree(pid):
            return table.get(pid, (0, 0.0))[1] + sum(tree(c) for c in children.get(pid, ()))
        with self.lock:
            totals = collections.defaultdict(float, self.done)
            for pid, (role, _) in self.live.items():
                totals[role] += tree(pid)
        return totals

    def kill_all(self):
        with self.lock:
            live = list(self.live.values())
        for role, p in live:
            try:
                p.send_signal(signal.SIGINT if role == "postgres" else signal.SIGKILL)
            except OSError:
                pass
        for role, p in live:
            try:
                self.reap(p, timeout=15)
            except ChildProcessError:
                pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, q):
    values = sorted(values)
    return values[max(0, int(round(q * len(values))) - 1)]


# --------------------------------------------------------------------------------------------
# The fleet.

class Fleet:
    def __init__(self, a):
        self.a = a
        self.work = os.path.abspath(a.work)
        self.ledger = Ledger()
        self.ingest = os.path.join(a.bin, "sensor-ingest")
        self.sensor = os.path.join(a.bin, "sensor")
        self.pg_bin = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                             key=lambda p: [int(x) for x in re.findall(r"\d+", p)])[-1]
        self.as_root = os.geteuid() == 0
        self.pg = None
        self.replicas = [None] * a.replicas
        self.replica_ports = [free_port() for _ in range(a.replicas)]
        self.runs = []
        self.events = []  # (seconds since start, what)
        self.t0 = time.time()

    def event(self, what):
        self.events.append((time.time() - self.t0, what))
        log(what)

    # PostgreSQL --------------------------------------------------------------------------
    def pg_user(self):
        return {"user": "postgres", "group": "postgres"} if self.as_root else {}

    def start_postgres(self):
        self.pg = self.ledger.spawn("postgres", [
            f"{self.pg_bin}/postgres", "-D", self.pg_data,
            "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.pg_port}",
            "-c", f"unix_socket_directories={self.pg_dir}", "-c", "max_connections=300",
            # As scripts/ci-postgres.sh: no fsync (a benchmark cluster, never data); commits
            # stay synchronous, so an acknowledged batch has reached PostgreSQL's WAL buffers
            # and a fast shutdown writes it out.
            "-c", "fsync=off", "-c", "full_page_writes=off"],
            stdout=self.pg_log, stderr=subprocess.STDOUT, **self.pg_user())
        for _ in range(600):
            if subprocess.run([f"{self.pg_bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.pg_port)]).returncode == 0:
                return
            time.sleep(0.1)
        raise SystemExit("PostgreSQL did not start: see " + self.pg_log.name)

    def restart_postgres(self):
        # What `pg_ctl restart -m fast` does (SIGINT = fast shutdown, then start), done to our
        # own child so its CPU (and its backends') is counted through wait4.
        self.pg.send_signal(signal.SIGINT)
        self.ledger.reap(self.pg, timeout=60)
        self.start_postgres()

    def setup_postgres(self):
        self.pg_dir = os.path.join(self.work, "pg")
        self.pg_data = os.path.join(self.pg_dir, "data")
        os.makedirs(self.pg_dir)
        os.chmod(self.work, 0o755)
        if self.as_root:
            os.chown(self.pg_dir, *self.ids("postgres"))
        os.chmod(self.pg_dir, 0o700)
        subprocess.run([f"{self.pg_bin}/initdb", "-D", self.pg_data, "-U", "postgres", "-E", "UTF8",
                        "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions"],
                       check=True, stdout=subprocess.DEVNULL, **self.pg_user())
        self.pg_port = free_port()
        self.pg_log = open(os.path.join(self.work, "postgres.log"), "ab")
        self.start_postgres()
        self.psql("CREATE ROLE fleet LOGIN PASSWORD 'fleet'", db="postgres", check=True)
        self.psql("CREATE DATABASE fleet OWNER fleet", db="postgres", check=True)
        self.url = f"postgres://fleet:fleet@127.0.0.1:{self.pg_port}/fleet"

    @staticmethod
    def ids(user):
        import pwd
        entry = pwd.getpwnam(user)
        return entry.pw_uid, entry.pw_gid

    def psql(self, sql, db="fleet", check=False):
        """Runs SQL as the superuser over the cluster's socket; rows as lists, or None on failure."""
        r = subprocess.run([f"{self.pg_bin}/psql", "-h", self.pg_dir, "-p", str(self.pg_port), "-U", "postgres",
                            "-d", db, "-qtAX", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, text=True, **self.pg_user())
        if r.returncode != 0:
            if check:
                raise SystemExit(f"psql failed: {sql}\n{r.stderr}")
            return None
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def scalar(self, sql):
        rows = self.psql(sql)
        return int(rows[0][0]) if rows else None

    # sensor-ingest -----------------------------------------------------------------------
    def token(self, name, scope="ingest"):
        out = subprocess.run([self.ingest, "token", "create", "--database", self.url, "--name", name, "--scope", scope],
                             capture_output=True, text=True, check=True).stdout
        return re.search(r"sst_[0-9a-f]+", out).group(0)

    def start_replica(self, i):
        out = open(os.path.join(self.work, f"replica{i}.out"), "ab")
        err = open(os.path.join(self.work, f"replica{i}.log"), "ab")
        start = out.tell()
        self.replicas[i] = self.ledger.spawn("replicas", [
            self.ingest, "serve", "--database", self.url, "--host", "127.0.0.1", "--port", str(self.replica_ports[i])],
            stdout=out, stderr=err)
        for _ in range(600):
            with open(out.name, "rb") as f:
                f.seek(start)
                if b"listening on" in f.read():
                    return
            if self.replicas[i].poll() is not None:
                raise SystemExit(f"replica {i} exited at start: see {err.name}")
            time.sleep(0.1)
        raise SystemExit(f"replica {i} did not start")

    def pending(self):
        """Envelopes not yet normalised, over every lane (`sensor-ingest status --json`)."""
        r = subprocess.run([self.ingest, "status", "--database", self.url, "--json"], capture_output=True, text=True)
        if r.returncode == 0:
            try:
                return sum(int(lane["pending"]) for lane in json.loads(r.stdout))
            except (ValueError, KeyError, TypeError):
                pass
        # A binary without `status`: the same count it makes (LaneStatus.swift).
        return self.scalar("SELECT coalesce(sum((SELECT count(*) FROM raw_envelopes r WHERE r.lane = p.id "
                           "AND r.seq > p.last_seq)), 0) FROM norm_progress p")

    def wait_normalised(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(1)
        return False

    # Homes -------------------------------------------------------------------------------
    def make_homes(self):
        a = self.a
        self.homes, self.held = [], []
        for i in range(a.laptops):
            gen = os.path.join(self.work, "gen", f"laptop{i}")
            home = os.path.join(self.work, "homes", f"laptop{i}")
            subprocess.run([sys.executable, a.gen_corpus, gen, "--mb", str(a.mb_per_laptop), "--seed", str(a.seed + i)],
                           check=True, stdout=subprocess.DEVNULL)
            # A second wave, released during the third phase so that the faults meet ingest:
            # every other Claude Code transcript and every Codex rollout but the first.
            claude = sorted(glob.glob(os.path.join(gen, ".claude/projects/*/*.jsonl")))
            codex = sorted(glob.glob(os.path.join(gen, ".codex/sessions/**/rollout-*.jsonl"), recursive=True))
            held = claude[1::2] + codex[1:]
            os.makedirs(os.path.join(self.work, "held"), exist_ok=True)
            moved = []
            for n, path in enumerate(held):
                stash = os.path.join(self.work, "held", f"{i}-{n}")
                os.rename(path, stash)
                moved.append((stash, os.path.join(home, os.path.relpath(path, gen))))
            os.makedirs(os.path.dirname(home), exist_ok=True)
            os.rename(gen, home)
            self.homes.append(home)
            # --prime-cursor: each home read once by `sensor scan --dry-run` (a throwaway state
            # dir; it leaves state.vscdb's -wal and -shm behind). Without it, `sensor run` on a
            # home as gen_corpus.py left it has been seen to spin on empty passes after its
            # backfill (~1,000 a second, a core per laptop, re-opening state.vscdb each time).
            if a.prime_cursor:
                subprocess.run([self.sensor, "scan", "--home", home, "--state-dir", os.path.join(self.work, "prime", str(i)),
                                "--dry-run"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.held.append(moved)

    def release(self, i):
        for stash, target in self.held[i]:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.rename(stash, target)  # whole files appear at once, as a tool's new session would
        self.held[i] = []

    @staticmethod
    def count_records(home):
        """Records in a home, counted from the files (the formats gen_corpus.py writes and the
        built-in sources.d reads): JSONL lines of Claude Code (transcripts and sub-agents),
        Codex rollouts and OpenClaw transcripts; Cursor's cursorDiskKV rows the kv source
        selects (composerData, bubbleId, codeBlockDiff, agentKv:blob keys); ItemTable rows of
        the chat and account keys (one envelope per key)."""
        def lines(pattern):
            n = 0
            for path in glob.glob(os.path.join(home, pattern), recursive=True):
                if os.path.basename(path).startswith("agent-") and pattern.endswith("projects/*/*.jsonl"):
                    continue
                with open(path, "rb") as f:
                    data = f.read()
                n += sum(1 for line in data.split(b"\n") if line.strip())
            return n
        counts = {
            "claude-code.transcripts": lines(".claude/projects/*/*.jsonl"),
            "claude-code.subagents": lines(".claude/projects/*/*/subagents/**/agent-*.jsonl") + lines(".claude/projects/*/agent-*.jsonl"),
            "codex.rollouts": lines(".codex/sessions/**/rollout-*.jsonl"),
            "openclaw.transcripts": lines(".openclaw/agents/*/sessions/*.jsonl"),
        }
        db = os.path.join(home, ".config/Cursor/User/globalStorage/state.vscdb")
        if os.path.exists(db):
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            counts["cursor.kv-inserts"] = con.execute(
                "SELECT count(*) FROM cursorDiskKV WHERE (key >= 'composerData:' AND key < 'composerData;') OR "
                "(key >= 'bubbleId:' AND key < 'bubbleId;') OR (key >= 'codeBlockDiff:' AND key < 'codeBlockDiff;') OR "
                "(key >= 'agentKv:blob:' AND key < 'agentKv:blob;')").fetchone()[0]
            counts["cursor.item-chat"] = con.execute(
                "SELECT count(*) FROM ItemTable WHERE key IN ('workbench.panel.aichat.view.aichat.chatdata', "
                "'aiService.prompts', 'aiService.generations', 'composer.composerData', 'composer.composerHeaders', "
                "'interactive.sessions')").fetchone()[0]
            counts["cursor.account"] = min(1, con.execute(  # one identity record of the keys present
                "SELECT count(*) FROM ItemTable WHERE key IN ('cursorAuth/cachedEmail', 'cursorAuth/stripeMembershipType', "
                "'cursorAuth/cachedSignUpType')").fetchone()[0])
            con.close()
        return counts

    def expected(self):
        total = collections.Counter()
        for home in self.homes:
            total.update(self.count_records(home))
        return total

    # Sensors -----------------------------------------------------------------------------
    def start_sensor(self, i):
        env = dict(os.environ, SENSOR_TOKEN=self.tokens[i])
        err = open(os.path.join(self.work, f"sensor{i}.log"), "ab")
        p = self.ledger.spawn("laptops", [self.sensor, "run", "--home", self.homes[i],
                                          "--state-dir", os.path.join(self.work, "state", f"laptop{i}"),
                                          "--endpoint", self.endpoint, "--quiet"],
                              env=env, stdout=subprocess.DEVNULL, stderr=err)
        self.runs.append(p)

    # Append -> queryable -----------------------------------------------------------------
    def transcripts(self):
        return [(i, path) for i, home in enumerate(self.homes)
                for path in glob.glob(os.path.join(home, ".claude/projects/*/*.jsonl"))]

    def searchable(self, word):
        request = urllib.request.Request(f"{self.endpoint}/api/v1/search?q={word}",
                                         headers={"Authorization": f"Bearer {self.read_token}"})
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return bool(json.load(answer).get("hits"))
        except (OSError, ValueError, urllib.error.URLError):
            return False  # a replica or the database down: keep asking

    def sample(self, files, rng, timeout):
        i, path = rng.choice(files)
        word = f"quokka{uuid.uuid4().hex[:10]}zebra"
        session = os.path.basename(path)[:-len(".jsonl")]
        line = {"parentUuid": None, "isSidechain": False, "userType": "external", "cwd": "/Users/dev/code/fleet",
                "sessionId": session, "version": "2.0.40", "gitBranch": "main", "type": "user",
                "message": {"role": "user", "content": f"please look at {word}"}, "uuid": str(uuid.uuid4()),
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())}
        data = (json.dumps(line, separators=(",", ":")) + "\n").encode()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, data)  # one write: the line appears whole
        finally:
            os.close(fd)
        start = time.time()
        while time.time() - start < timeout:
            if self.searchable(word):
                return time.time() - start
            time.sleep(0.05)
        return None

    def sampler(self, files, seed, stop, out, count=None, timeout=60):
        rng = random.Random(seed)
        while not stop.is_set() and (count is None or len(out) < count):
            out.append(self.sample(files, rng, timeout))
            time.sleep(0.3)

    # Norm tables -------------------------------------------------------------------------
    def snapshot(self):
        snap = {}
        for table in self.psql("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                               "AND table_name LIKE 'norm\\_%' ORDER BY 1", check=True):
            name = table[0]
            if name in ("norm_progress", "norm_lease") or "lease" in name or "lane" in name:
                continue
            snap[name] = self.scalar(f"SELECT count(*) FROM {name}")
        keys = {"norm_sessions": "session_key", "norm_messages": "message_key", "norm_tool_calls": "call_key",
                "norm_usage": "usage_key"}
        for table, key in keys.items():  # the same rows, not only as many
            snap[table + " keys md5"] = self.psql(f"SELECT md5(coalesce(string_agg({key}, ',' ORDER BY {key}), '')) FROM {table}")[0][0]
        sums = self.psql("SELECT coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0), coalesce(sum(cache_read_tokens),0), "
                         "coalesce(sum(cache_write_tokens),0), coalesce(sum(reasoning_tokens),0), coalesce(sum(total_tokens),0), "
                         "coalesce(round(sum(cost)::numeric, 6), 0) FROM norm_usage")[0]
        for name, value in zip(("input", "output", "cache_read", "cache_write", "reasoning", "total", "cost"), sums):
            snap[f"norm_usage sum({name})"] = value
        return snap

    # The run -----------------------------------------------------------------------------
    def run(self):
        a = self.a
        self.setup_postgres()
        self.event(f"PostgreSQL on 127.0.0.1:{self.pg_port} ({self.pg_bin})")
        self.tokens = [self.token(f"laptop-{i}") for i in range(a.laptops)]
        self.read_token = self.token("reader", "read")
        for i in range(a.replicas):
            self.start_replica(i)
        lb_port = free_port()
        self.lb = self.ledger.spawn("balancer", [sys.executable, os.path.abspath(__file__), "lb", str(lb_port)]
                                    + [str(p) for p in self.replica_ports], stdout=subprocess.PIPE)
        self.lb.stdout.readline()
        self.endpoint = f"http://127.0.0.1:{lb_port}"
        self.event(f"{a.replicas} replicas behind {self.endpoint}")
        self.make_homes()
        corpus_bytes = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(self.work, "homes")) for f in fs)
        corpus_bytes += sum(os.path.getsize(s) for held in self.held for s, _ in held)
        first = sum(self.expected().values())
        self.event(f"{a.laptops} homes, {corpus_bytes / 1e6:.1f} MB; first wave {first} records")

        # 1. Backfill: the sensors start one after another and send what their homes hold.
        cpu0 = self.ledger.sample()
        t_start = time.time()
        for i in range(a.laptops):
            self.start_sensor(i)
            time.sleep(a.stagger)
        stored = 0
        while True:
            stored = self.scalar("SELECT count(*) FROM raw_envelopes") or stored
            if stored >= first:
                break
            if time.time() - t_start > 600:
                raise SystemExit(f"backfill stalled: {stored} of {first} envelopes stored after 600 s")
            time.sleep(0.2)
        t_stored = time.time()
        self.wait_normalised(600)
        t_normalised = time.time()
        cpu1 = self.ledger.sample()  # storing and normalising the first wave
        self.event(f"phase 1: {first} envelopes stored in {t_stored - t_start:.1f} s, normalised after {t_normalised - t_start:.1f} s")

        # 2. Live and quiet: appends one at a time.
        files = self.transcripts()
        quiet = []
        self.sampler(files, a.seed, threading.Event(), quiet, count=a.samples, timeout=30)
        self.event(f"phase 2: {len(quiet)} samples")

        # 3. The second wave, with faults (unless --no-faults), while appends keep being measured.
        stop = threading.Event()
        faulted = []
        sampler = threading.Thread(target=self.sampler, args=(files, a.seed + 1, stop, faulted), kwargs={"timeout": 60})
        sampler.start()
        t3 = time.time()
        def releases():
            for i in range(a.laptops):
                time.sleep(max(0, t3 + 1.0 + 1.5 * i - time.time()))
                self.release(i)
                self.event(f"phase 3 +{time.time() - t3:.1f} s: release laptop {i}'s second wave")
        releaser = threading.Thread(target=releases)
        releaser.start()
        plan = []
        if a.faults:  # each after the one before has finished (a restart can take a while)
            victim, other = 0, a.replicas - 1
            plan = [
                (4, f"kill -9 replica {victim}", lambda: (self.replicas[victim].kill(), self.ledger.reap(self.replicas[victim]))),
                (5, f"restart replica {victim}", lambda: self.start_replica(victim)),
                (5, "PostgreSQL fast restart (SIGINT to the postmaster, then start)", self.restart_postgres),
                (8, "pg_terminate_backend every connection", self.terminate),
                (8, f"kill -9 replica {other}", lambda: (self.replicas[other].kill(), self.ledger.reap(self.replicas[other]))),
                (4, f"restart replica {other}", lambda: self.start_replica(other)),
                (6, "pg_terminate_backend every connection", self.terminate),
            ]
        for gap, what, action in plan:
            time.sleep(gap)
            begun = time.time()
            action()
            self.event(f"phase 3 +{begun - t3:.1f} s: {what} ({time.time() - begun:.1f} s)")
        releaser.join()
        time.sleep(max(10, t3 + 55 - time.time()))
        stop.set()
        sampler.join()
        self.event(f"phase 3: {len(faulted)} samples")

        # 4. Caught up: the sensors stop, a last scan per laptop must exit 0, lanes empty.
        for p in self.runs:
            p.send_signal(signal.SIGTERM)
        run_codes = [self.ledger.reap(p, timeout=60) for p in self.runs]
        cpu_runs = self.ledger.sample()["laptops"]
        scan_codes = []
        for i in range(a.laptops):
            env = dict(os.environ, SENSOR_TOKEN=self.tokens[i])
            err = open(os.path.join(self.work, f"scan{i}.log"), "ab")
            p = self.ledger.spawn("laptops", [self.sensor, "scan", "--home", self.homes[i], "--state-dir",
                                              os.path.join(self.work, "state", f"laptop{i}"), "--endpoint", self.endpoint, "--quiet"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=err)
            scan_codes.append(self.ledger.reap(p, timeout=300))
        t_caught = time.time()
        normalised = self.wait_normalised(600)
        self.event(f"sensors stopped (exit codes {run_codes}); final scans {scan_codes}; normalised: {normalised}")

        # (a) Nothing acknowledged lost: stored envelopes = records counted in the homes.
        expected = self.expected()
        stored = self.scalar("SELECT count(*) FROM raw_envelopes")
        by_source = {row[0]: int(row[1]) for row in self.psql("SELECT source, count(*) FROM raw_envelopes GROUP BY 1")}
        # Cross-check of the direct count: what a fresh-state `sensor scan --output` emits.
        emitted = collections.Counter()
        for i, home in enumerate(self.homes):
            out = os.path.join(self.work, f"emitted{i}.ndjson")
            subprocess.run([self.sensor, "scan", "--home", home, "--state-dir", os.path.join(self.work, "fresh", str(i)),
                            "--output", out, "--quiet"], check=True, stderr=subprocess.DEVNULL)
            with open(out) as f:
                for line in f:
                    emitted[json.loads(line)["source"]] += 1
            os.remove(out)
        expected = +expected
        lost_ok = stored == sum(expected.values()) and all(c == 0 for c in scan_codes)

        # (b) No duplicated rows: the normalised tables equal a rebuild from raw.
        before = self.snapshot()
        cpu_end = self.ledger.sample()
        t = time.time()
        r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S", "-o", os.path.join(self.work, "reparse.time"),
                            self.ingest, "reparse", "--database", self.url], capture_output=True, text=True)
        reparse_wall = time.time() - t
        reparse_ok = r.returncode == 0 and self.wait_normalised(600)
        after = self.snapshot()
        diffs = {k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}
        hard = ("norm_sessions", "norm_messages", "norm_tool_calls", "norm_usage")
        hard_diffs = {k: v for k, v in diffs.items() if k.split(" ")[0] in hard}
        dup_ok = reparse_ok and not hard_diffs

        # Figures.
        total_env = stored
        phase1 = {role: cpu1[role] - cpu0[role] for role in ("laptops", "replicas", "postgres", "balancer")}
        whole = {role: cpu_end[role] for role in ("laptops", "replicas", "postgres", "balancer")}
        lat = lambda xs: [x for x in xs if x is not None]
        quiet_ok, faulted_ok = lat(quiet), lat(faulted)
        def fmt(samples):  # a sample not found within its timeout counts as longer than any found
            xs = [float("inf") if x is None else x for x in samples]
            ms = lambda x: "not found in time" if x == float("inf") else f"{x * 1000:.0f} ms"
            return (f"p50 {ms(percentile(xs, 0.5))}, p95 {ms(percentile(xs, 0.95))}, max {ms(max(xs))}") if xs else "no sample"
        result = {
            "laptops": a.laptops, "replicas": a.replicas, "corpus_mb": corpus_bytes / 1e6, "faults": a.faults,
            "envelopes": total_env, "phase1_envelopes": first, "phase1_stored_s": t_stored - t_start,
            "phase1_normalised_s": t_normalised - t_start, "envelopes_per_s": first / (t_stored - t_start),
            "cpu_phase1": phase1, "cpu_whole": whole, "cpu_sensor_runs": cpu_runs,
            "latency_quiet": quiet, "latency_faults": faulted,
            "p95_quiet_ms": percentile(quiet_ok, 0.95) * 1000 if quiet_ok else None,
            "p95_faults_ms": percentile(faulted_ok, 0.95) * 1000 if faulted_ok else None,
            "server_cpu_ms_per_envelope": whole["replicas"] / total_env * 1000 if total_env else None,
            "lost_ok": lost_ok, "dup_ok": dup_ok, "events": self.events,
        }
        per_k = lambda cpu, n: f"{cpu / n * 1000:.2f}" if n else "-"

        print()
        print(f"fleet: N={a.laptops} laptops (sensor run), M={a.replicas} sensor-ingest replicas on one PostgreSQL "
              f"({os.path.basename(os.path.dirname(self.pg_bin))}), corpus {corpus_bytes / 1e6:.1f} MB "
              f"({a.mb_per_laptop} MB/laptop), faults {'on' if a.faults else 'off'}, "
              f"Cursor database {'primed by a scan --dry-run' if a.prime_cursor else 'as generated'}")
        print(f"envelopes stored: {total_env:,} (first wave {first:,}, then a second wave and {len(quiet) + len(faulted)} appends)")
        print(f"ingest, phase 1 (backfill, staggered starts): {first:,} envelopes stored in {t_stored - t_start:.1f} s = "
              f"{first / (t_stored - t_start):,.0f} envelopes/s; all normalised after {t_normalised - t_start:.1f} s")
        print(f"CPU s per 1,000 envelopes          phase 1   whole run (CPU s)")
        for role, name in (("laptops", "laptops (sensors)"), ("replicas", "server (replicas)"),
                           ("postgres", "PostgreSQL (all processes)"), ("balancer", "balancer (Python)")):
            print(f"  {name:31} {per_k(phase1[role], first):>8} {per_k(whole[role], total_env):>11} ({whole[role]:.1f})")
        print(f"  server / laptops: {whole['replicas'] / max(whole['laptops'], 1e-9):.2f}x; "
              f"PostgreSQL / server: {whole['postgres'] / max(whole['replicas'], 1e-9):.2f}x")
        print(f"append -> queryable (read API search through the balancer):")
        print(f"  phase 2, quiet:      {len(quiet_ok)}/{len(quiet)} found within 30 s; {fmt(quiet)}")
        print(f"  phase 3, {'faults' if a.faults else 'no faults'} + second wave: {len(faulted_ok)}/{len(faulted)} found within 60 s; {fmt(faulted)}")
        if a.faults:
            print("  faults at: " + "; ".join(w.replace("phase 3 ", "") for _, w in self.events
                                             if w.startswith("phase 3 +") and "release" not in w))
        print(f"reparse (rebuild from raw, replicas running): {reparse_wall:.1f} s")
        if a.compare_with and os.path.exists(a.compare_with):
            other = json.load(open(a.compare_with))
            mine, theirs = result["server_cpu_ms_per_envelope"], other.get("server_cpu_ms_per_envelope")
            if mine and theirs:
                print(f"server CPU per envelope, M={a.replicas} vs M={other['replicas']}: {mine:.3f} vs {theirs:.3f} ms "
                      f"= {mine / theirs:.2f}x; envelopes/s {result['envelopes_per_s']:,.0f} vs {other['envelopes_per_s']:,.0f}")
        print(f"check (a) 0 acknowledged envelopes lost: {'PASS' if lost_ok else 'FAIL'}: stored {stored:,}, "
              f"counted in the homes {sum(expected.values()):,}, fresh `sensor scan --output` {sum(emitted.values()):,}; "
              f"final scans exit {sorted(set(scan_codes))}")
        for source in sorted(set(expected) | set(by_source) | set(emitted)):
            if expected[source] != by_source.get(source, 0) or expected[source] != emitted[source]:
                print(f"    {source}: counted {expected[source]}, stored {by_source.get(source, 0)}, emitted {emitted[source]}")
        print(f"check (b) 0 duplicated rows (normalised tables unchanged by reparse): {'PASS' if dup_ok else 'FAIL'}: "
              + ", ".join(f"{k} {before[k]:,}" for k in hard)
              + f", tokens {int(before['norm_usage sum(total)']):,}")
        for k, (x, y) in diffs.items():
            print(f"    {'differs' if k in hard_diffs else 'differs (not checked)'}: {k}: incremental {x}, rebuilt {y}")
        if not reparse_ok:
            print(f"    reparse exit {r.returncode}: {r.stderr.strip()[-500:]}")
        if a.json_out:
            with open(a.json_out, "w") as f:
                json.dump(result, f, indent=1)
        if a.logs:
            os.makedirs(a.logs, exist_ok=True)
            for path in glob.glob(os.path.join(self.work, "*.log")) + glob.glob(os.path.join(self.work, "*.out")):
                with open(path, "rb") as src, open(os.path.join(a.logs, os.path.basename(path)), "wb") as dst:
                    dst.write(src.read())
        return 0 if lost_ok and dup_ok else 1

    def terminate(self):
        self.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "lb":
        load_balancer(int(sys.argv[2]), [int(p) for p in sys.argv[3:]])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["run"])
    ap.add_argument("--work", required=True)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--gen-corpus", required=True)
    ap.add_argument("--laptops", type=int, default=12)
    ap.add_argument("--replicas", type=int, default=2)
    ap.add_argument("--mb-per-laptop", type=float, default=4)
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--stagger", type=float, default=0.5)
    ap.add_argument("--no-faults", dest="faults", action="store_false")
    ap.add_argument("--prime-cursor", action="store_true")
    ap.add_argument("--json-out")
    ap.add_argument("--compare-with")
    ap.add_argument("--logs")
    a = ap.parse_args()
    fleet = Fleet(a)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return fleet.run()
    finally:
        if fleet.pg is not None:
            fleet.ledger.kill_all()


if __name__ == "__main__":
    sys.exit(main())
