#!/usr/bin/env python3
"""The explorer on a big store: fills a sensor-ingest SQLite store with generated normalised rows
(at least --messages messages over sessions of every tool, one session of 5,000 messages, tool
calls, usage, raw envelopes for the devices page), then times each page over --requests
kept-alive requests from a signed-in client, after three untimed ones. Run by Benchmarks/explorer.sh.

    explorer.py fill DATABASE --messages 1000000 [--days 90]
    explorer.py time URL READ_TOKEN --requests 40 --big-session KEY
"""
import argparse
import glob
import hashlib
import http.client
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

TOOLS = ["claude-code", "codex", "cursor", "openclaw", "antigravity"]
MODELS = {"claude-code": ["claude-sonnet-4-5-20250929", "claude-opus-4-6"], "codex": ["gpt-5-codex", "gpt-5.1"],
          "cursor": ["claude-4-sonnet", "gpt-5"], "openclaw": ["us.anthropic.claude-opus-4-6-v1"], "antigravity": ["gemini-2.5-pro"]}
WORDS = ("refactor parser session token cache layout button render request handler response database index query migration "
         "schema field record envelope offset cursor stream buffer socket thread actor task future promise closure module "
         "package target build test failure error warning crash memory leak latency throughput benchmark profile trace "
         "commit branch merge rebase diff patch review comment issue ticket deploy release rollback config secret policy "
         "tenant device laptop server client browser cookie header body gzip json yaml sqlite postgres search snippet").split()


def key(*parts):
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:32]


def sentence(rng, low, high):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def fill(database, messages_wanted, seed, days=90):
    rng = random.Random(seed)
    db = sqlite3.connect(database)
    db.execute("PRAGMA synchronous=OFF")
    now = time.time()
    sessions, messages, calls, usage, models, raw = [], [], [], [], [], []
    total = 0
    number = 0
    big = None
    while total < messages_wanted:
        number += 1
        tool = TOOLS[number % len(TOOLS)]
        count = 5000 if big is None else rng.randint(10, 90)
        device = f"d-{number % 50:04d}"
        session = key("session", number)
        if big is None:
            big = session
        started = now - rng.uniform(0, days * 86400)
        stamp = lambda offset: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(started + offset)) + "Z"
        model = rng.choice(MODELS[tool])
        sessions.append((session, tool, device, f"native-{number}", f"{tool}.source", f"/home/dev/project-{number % 40}",
                         "main", None, None, "1.0.0", model, stamp(0), stamp(count * 20), 1))
        models.append((session, model, f"{tool}.source"))
        for ordinal in range(count):
            role = "user" if ordinal % 2 == 0 else "assistant"
            message = key("message", number, ordinal)
            text = sentence(rng, 8, 60)
            messages.append((message, session, None, role, "text", text, model if role == "assistant" else None,
                             stamp(ordinal * 20), ordinal, 0, f"{tool}.source"))
            if role == "assistant":
                inp, out, read, write = rng.randint(10, 3000), rng.randint(50, 2000), rng.randint(0, 50000), rng.randint(0, 5000)
                usage.append((key("usage", number, ordinal), session, message, model, stamp(ordinal * 20), inp, out, read, write, 0,
                              inp + out + read + write, None, f"{tool}.source", (inp * 3 + out * 15 + read * 0.3 + write * 3.75) / 1e6))
                if ordinal % 4 == 1:
                    calls.append((key("call", number, ordinal), session, message, f"call-{number}-{ordinal}", rng.choice(["Bash", "Edit", "Read"]),
                                  json.dumps({"command": sentence(rng, 3, 10)}), sentence(rng, 10, 80), 0, stamp(ordinal * 20),
                                  stamp(ordinal * 20 + 3), 3000, f"{tool}.source"))
        total += count
        if len(raw) < 100_000:
            for index in range(min(count, 20)):
                envelope = json.dumps({"schema_version": 1, "id": key("raw", number, index), "source": f"{tool}.source", "kind": f"{tool}.record",
                                       "device": device, "sensor": "0.1.0", "collected_at": stamp(index * 20), "locator": {"path": f"~/{tool}/{number}.jsonl"},
                                       "encoding": "json", "record": {"n": index}})
                raw.append((1, key("raw", number, index), f"{tool}.source", f"{tool}.record", device, 1, "bench", stamp(index * 20 + 5), envelope))
    db.executemany("INSERT INTO norm_sessions(session_key, tool, device, native_id, source, project, git_branch, title, status, tool_version, model, started_at, ended_at, tenant_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", sessions)
    db.executemany("INSERT INTO norm_session_models(session_key, model, source) VALUES (?,?,?)", models)
    db.executemany("INSERT INTO norm_messages(message_key, session_key, response_id, role, kind, text, model, created_at, ordinal, rank, source) VALUES (?,?,?,?,?,?,?,?,?,?,?)", messages)
    db.executemany("INSERT INTO norm_tool_calls(call_key, session_key, message_key, call_id, name, input, result, is_error, started_at, ended_at, duration_ms, source) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", calls)
    db.executemany("INSERT INTO norm_usage(usage_key, session_key, message_key, model, created_at, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost, source, estimated_cost) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", usage)
    db.executemany("INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope) VALUES (?,?,?,?,?,?,?,?,?)", raw)
    # The generated envelopes are not for the normaliser: its watermark is past them.
    db.execute("UPDATE norm_progress SET last_seq = (SELECT max(rowid) FROM raw_envelopes) WHERE id = 1")
    db.commit()
    db.execute("ANALYZE")
    db.close()
    json.dump({"sessions": len(sessions), "messages": len(messages), "tool_calls": len(calls), "usage": len(usage),
               "raw_envelopes": len(raw), "big_session": big}, sys.stdout)

FILL_POSTGRES = r'''
-- Generated inside PostgreSQL: sessions, messages, tool calls, usage, raw envelopes, devices,
-- people and teams of a fleet. Keys, texts and times are functions of the row numbers, so two
-- fills with the same sizes hold the same rows.
SET synchronous_commit = off;
SET maintenance_work_mem = '1GB';
SET max_parallel_maintenance_workers = 1;
CREATE TEMP TABLE words AS SELECT string_to_array(:'words', ' ') AS w;
CREATE TEMP TABLE plan AS
SELECT s, md5('session' || s) AS session_key,
       (ARRAY['claude-code', 'codex', 'cursor', 'openclaw', 'antigravity'])[1 + s % 5] AS tool,
       'd-' || lpad((s % :devices)::text, 5, '0') AS device,
       to_timestamp(extract(epoch FROM now()) - (abs(hashint4(s)) % (:days * 86400))) AS started,
       CASE WHEN s = 1 THEN 5000 ELSE 10 + abs(hashint4(s + 7)) % :spread END AS messages
FROM generate_series(1, :sessions) s;
CREATE FUNCTION pg_temp.stamp(t timestamptz, seconds bigint) RETURNS text IMMUTABLE LANGUAGE sql
    AS $$ SELECT to_char((t + seconds * interval '1 second') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') $$;
CREATE FUNCTION pg_temp.sentence(seed bigint, low int, high int) RETURNS text STABLE LANGUAGE sql AS $$
    SELECT array_to_string(ARRAY(
        SELECT w[1 + abs(hashint8(seed * 131 + k)) % cardinality(w)] FROM words, generate_series(1, low + abs(hashint8(seed)) % (high - low + 1)) k), ' ')
$$;
CREATE FUNCTION pg_temp.model(tool text, s int) RETURNS text IMMUTABLE LANGUAGE sql AS $$
    SELECT CASE tool WHEN 'claude-code' THEN (ARRAY['claude-sonnet-4-5-20250929', 'claude-opus-4-6'])[1 + s % 2]
        WHEN 'codex' THEN (ARRAY['gpt-5-codex', 'gpt-5.1'])[1 + s % 2] WHEN 'cursor' THEN (ARRAY['claude-4-sonnet', 'gpt-5'])[1 + s % 2]
        WHEN 'openclaw' THEN 'us.anthropic.claude-opus-4-6-v1' ELSE 'gemini-2.5-pro' END
$$;

ALTER TABLE norm_usage DISABLE TRIGGER USER;
CREATE TEMP TABLE kept_indexes AS
SELECT indexname, replace(indexdef, ' ON ONLY ', ' ON ') AS definition FROM pg_indexes
WHERE schemaname = 'public' AND indexname NOT LIKE '%pkey' AND tablename IN ('norm_messages', 'norm_tool_calls', 'norm_usage', 'raw_envelopes');
DO $$ DECLARE i record; BEGIN FOR i IN SELECT indexname FROM kept_indexes LOOP EXECUTE format('DROP INDEX %I', i.indexname); END LOOP; END $$;

INSERT INTO norm_sessions(session_key, tool, device, native_id, source, project, git_branch, tool_version, model, started_at, ended_at, tenant_id)
SELECT session_key, tool, device, 'native-' || s, tool || '.source', '/home/dev/project-' || s % 40, 'main', '1.0.0', pg_temp.model(tool, s),
       pg_temp.stamp(started, 0), pg_temp.stamp(started, messages * 20), 1
FROM plan;
INSERT INTO norm_session_models(session_key, model, source) SELECT session_key, pg_temp.model(tool, s), tool || '.source' FROM plan;
INSERT INTO norm_messages(message_key, session_key, role, kind, text, model, created_at, ordinal, rank, source)
SELECT md5('message' || s || '/' || o), session_key, CASE WHEN o % 2 = 0 THEN 'user' ELSE 'assistant' END, 'text',
       pg_temp.sentence(s::bigint * 100000 + o, 8, 60), CASE WHEN o % 2 = 1 THEN pg_temp.model(tool, s) END,
       pg_temp.stamp(started, o * 20), o, 0, tool || '.source'
FROM plan, generate_series(0, messages - 1) o;
INSERT INTO norm_tool_calls(call_key, session_key, message_key, call_id, name, input, result, is_error, started_at, ended_at, duration_ms, source)
SELECT md5('call' || s || '/' || o), session_key, md5('message' || s || '/' || o), 'call-' || s || '-' || o,
       (ARRAY['Bash', 'Edit', 'Read'])[1 + o % 3], json_build_object('command', pg_temp.sentence(s::bigint * 100000 + o + 50000, 3, 10))::text,
       pg_temp.sentence(s::bigint * 100000 + o + 70000, 10, 80), 0, pg_temp.stamp(started, o * 20), pg_temp.stamp(started, o * 20 + 3), 3000,
       tool || '.source'
FROM plan, generate_series(1, messages - 1, 4) o;
INSERT INTO norm_usage(usage_key, session_key, message_key, model, created_at, input_tokens, output_tokens, cache_read_tokens,
                       cache_write_tokens, reasoning_tokens, total_tokens, source, estimated_cost)
SELECT md5('usage' || s || '/' || o), session_key, md5('message' || s || '/' || o), pg_temp.model(tool, s), pg_temp.stamp(started, o * 20),
       i, out, r, wr, 0, i + out + r + wr, tool || '.source', (i * 3 + out * 15 + r * 0.3 + wr * 3.75) / 1e6
FROM (SELECT s, o, session_key, tool, started, 10 + abs(hashint8(s * 7 + o)) % 2990 AS i, 50 + abs(hashint8(s * 11 + o)) % 1950 AS out,
             abs(hashint8(s * 13 + o)) % 50000 AS r, abs(hashint8(s * 17 + o)) % 5000 AS wr
      FROM plan, generate_series(1, messages - 1, 2) o) u;
INSERT INTO norm_usage_by_day(day, session_key, model, tokens, cost, rows)
SELECT substr(created_at, 1, 10), session_key, model, sum(total_tokens), sum(estimated_cost), count(*) FROM norm_usage GROUP BY 1, 2, 3;
-- One raw envelope per message, received five seconds after it.
INSERT INTO raw_envelopes(tenant_id, id, source, kind, device, token_id, batch_id, received_at, envelope, envelope_bytes, locator_path)
SELECT 1, md5('raw' || s || '/' || o), tool || '.source', tool || '.record', device, 1, 'bench', started + (o * 20 + 5) * interval '1 second',
       json_build_object('schema_version', 1, 'id', md5('raw' || s || '/' || o), 'source', tool || '.source', 'kind', tool || '.record',
                         'device', device, 'sensor', '0.1.0', 'collected_at', pg_temp.stamp(started, o * 20),
                         'locator', json_build_object('path', '~/' || tool || '/' || s || '.jsonl'), 'encoding', 'json',
                         'record', json_build_object('n', o))::text, 300, '~/' || tool || '/' || s || '.jsonl'
FROM plan, generate_series(0, messages - 1) o;
INSERT INTO raw_ids(tenant_id, id) SELECT tenant_id, id FROM raw_envelopes;
-- The generated envelopes are not for the normaliser: every lane's watermark is past them.
UPDATE norm_progress SET last_seq = (SELECT max(seq) FROM raw_envelopes);

INSERT INTO devices(tenant_id, device, host, os, os_version, os_user, sensor_version, first_seen, last_seen)
SELECT 1, device, 'host-' || substr(device, 3), 'macOS', '15.1', 'dev', '0.1.0', pg_temp.stamp(min(started), 0), pg_temp.stamp(max(started), 3600)
FROM plan GROUP BY device;
INSERT INTO people(id, tenant_id, email, name, origin, created_at, updated_at)
SELECT 'p-' || p, 1, 'person' || p || '@example.com', 'Person ' || p, 'admin', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
FROM generate_series(1, :people) p;
INSERT INTO teams(id, tenant_id, name, created_at, updated_at)
SELECT 't-' || t, 1, 'Team ' || t, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z' FROM generate_series(1, :teams) t;
INSERT INTO team_members(team_id, person_id) SELECT 't-' || (1 + p % :teams), 'p-' || p FROM generate_series(1, :people) p;
INSERT INTO device_people(tenant_id, device, person_id, link, strength, linked_at)
SELECT 1, 'd-' || lpad(d::text, 5, '0'), 'p-' || (1 + d % :people), 'admin', 3, '2026-01-01T00:00:00Z' FROM generate_series(0, :devices - 1) d;

DO $$ DECLARE i record; BEGIN FOR i IN SELECT definition FROM kept_indexes LOOP EXECUTE i.definition; END LOOP; END $$;
ALTER TABLE norm_usage ENABLE TRIGGER USER;
'''


def fill_postgres(url, messages_wanted, sessions, devices, people, teams, days):
    """Fills a migrated PostgreSQL store inside the server (psql reads FILL_POSTGRES from its standard input)."""
    average = max(10, messages_wanted // sessions)
    spread = 2 * (average - 10) + 1
    variables = {"sessions": sessions, "devices": devices, "people": people, "teams": teams, "days": days, "spread": spread,
                 "words": " ".join(WORDS)}
    command = [psql(), url, "-X", "-q", "-v", "ON_ERROR_STOP=1"] + [arg for k, v in variables.items() for arg in ("-v", f"{k}={v}")]
    subprocess.run(command, input=FILL_POSTGRES, text=True, check=True, stdout=subprocess.DEVNULL)
    counts = {}
    for table, name in [("norm_sessions", "sessions"), ("norm_messages", "messages"), ("norm_tool_calls", "tool_calls"),
                        ("norm_usage", "usage"), ("raw_envelopes", "raw_envelopes"), ("devices", "devices"), ("people", "people")]:
        counts[name] = int(subprocess.run([psql(), url, "-X", "-qtA", "-c", f"SELECT count(*) FROM {table}"],
                                          text=True, check=True, capture_output=True).stdout)
    subprocess.run([psql(), url, "-X", "-q", "-c", "SET client_min_messages = error", "-c", "VACUUM ANALYZE"], check=True)
    counts["big_session"] = hashlib.md5(b"session1").hexdigest()
    # Marks the database filled, for the next run to reuse (`filled`).
    subprocess.run([psql(), url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", f"document={json.dumps(counts)}"],
                   input="CREATE TABLE bench_filled AS SELECT :'document'::text AS document;\n", text=True, check=True)
    json.dump(counts, sys.stdout)


def filled(url):
    """Prints what a database filled before holds; fails when it was not filled."""
    answer = subprocess.run([psql(), url, "-X", "-qtA", "-c", "SELECT document FROM bench_filled"], text=True, capture_output=True)
    if answer.returncode != 0 or not answer.stdout.strip():
        sys.exit(1)
    print(answer.stdout.strip())


def psql():
    found = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1:]
    if not found:
        sys.exit("needs psql (apt-get install postgresql-client)")
    return found if isinstance(found, str) else found[0]


def timing(url, token, requests, big_session):
    parsed = urllib.parse.urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
    connection.request("POST", "/login", body=urllib.parse.urlencode({"token": token, "next": "/"}),
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    cookie = answer.getheader("Set-Cookie", "").split(";")[0]
    if answer.status != 303 or not cookie:
        sys.exit(f"sign-in failed: {answer.status}")
    pages = [("sessions (newest first)", "/sessions"), ("sessions, one tool, page 3", "/sessions?tool=codex&page=3"),
             ("sessions by tokens", "/sessions?sort=tokens"), ("session of 5,000 messages", f"/sessions/{big_session}"),
             ("search, one word", "/search?q=migration"), ("search, three words", "/search?q=rollback+tenant+snippet"),
             ("overview, 30 days", "/"), ("overview, 90 days", "/?days=90"), ("devices", "/devices"), ("people", "/people"), ("drift", "/drift")]
    results = []
    for name, path in pages:
        times, size = [], 0
        # Three untimed requests first: the database's pages in memory, as on a server in use.
        for _ in range(3):
            connection.request("GET", path, headers={"Cookie": cookie})
            connection.getresponse().read()
        for _ in range(requests):
            start = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            body = response.read()
            times.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                sys.exit(f"{path}: {response.status}")
            size = len(body)
        times.sort()
        results.append({"page": name, "path": path, "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "max_ms": round(times[-1], 1), "bytes": size})
    print(f"{'page':32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KB':>8}")
    for row in results:
        print(f"{row['page']:32} {row['p50_ms']:8} {row['p95_ms']:8} {row['max_ms']:8} {row['bytes'] // 1024:8}")
    return results


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    f = commands.add_parser("fill")
    f.add_argument("database")
    f.add_argument("--messages", type=int, default=1_000_000)
    f.add_argument("--seed", type=int, default=7)
    f.add_argument("--days", type=int, default=90, help="sessions start over this many days before now")
    g = commands.add_parser("fill-postgres")
    g.add_argument("url")
    g.add_argument("--messages", type=int, default=10_000_000)
    g.add_argument("--sessions", type=int, default=100_000)
    g.add_argument("--devices", type=int, default=1_000)
    g.add_argument("--people", type=int, default=300)
    g.add_argument("--teams", type=int, default=20)
    g.add_argument("--days", type=int, default=90, help="sessions start over this many days before now")
    d = commands.add_parser("filled")
    d.add_argument("url")
    t = commands.add_parser("time")
    t.add_argument("url")
    t.add_argument("token")
    t.add_argument("--requests", type=int, default=40)
    t.add_argument("--big-session", required=True)
    args = parser.parse_args()
    if args.command == "fill":
        fill(args.database, args.messages, args.seed, args.days)
    elif args.command == "filled":
        filled(args.url)
    elif args.command == "fill-postgres":
        fill_postgres(args.url, args.messages, args.sessions, args.devices, args.people, args.teams, args.days)
    else:
        timing(args.url, args.token, args.requests, args.big_session)


if __name__ == "__main__":
    main()
