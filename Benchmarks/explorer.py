#!/usr/bin/env python3
"""The explorer on a big store: fills a sensor-ingest SQLite store with generated normalised rows
(at least --messages messages over sessions of every tool, one session of 5,000 messages, tool
calls, usage, raw envelopes for the devices page), then times each page over --requests
kept-alive requests from a signed-in client, after three untimed ones. Run by Benchmarks/explorer.sh.

    explorer.py fill DATABASE --messages 1000000 [--days 90]
    explorer.py time URL READ_TOKEN --requests 40 --big-session KEY
"""
import argparse
import hashlib
import http.client
import json
import random
import sqlite3
import statistics
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
             ("overview, 30 days", "/"), ("overview, 90 days", "/?days=90"), ("devices", "/devices"), ("drift", "/drift")]
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
    t = commands.add_parser("time")
    t.add_argument("url")
    t.add_argument("token")
    t.add_argument("--requests", type=int, default=40)
    t.add_argument("--big-session", required=True)
    args = parser.parse_args()
    if args.command == "fill":
        fill(args.database, args.messages, args.seed, args.days)
    else:
        timing(args.url, args.token, args.requests, args.big_session)


if __name__ == "__main__":
    main()
