#!/usr/bin/env python3
"""Lays out a sample home folder of realistic shape, for `scripts/quickstart.sh --demo` and the
tests: Claude Code transcripts, Codex rollouts, OpenClaw sessions (with the pretty-printed
sessions.json index) and a Cursor global state database, written as each tool writes them
(docs in ../shared/formats.md). A few MB, deterministic for a seed, no network.

  scripts/demo-home.py HOME [--sessions N] [--seed S]

Prints what it wrote, per tool, as JSON: sessions, messages and tokens, so a caller can check
what the product shows against it.
"""
import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import uuid

VOCABULARY = ("the parser returns an error when the config file has a trailing comma so we "
              "should validate input before writing and add a test for the empty case then "
              "refactor the handler to stream records instead of loading the whole file").split()
FILES = ["src/server.ts", "src/config.py", "lib/parse.rs", "app/models/user.rb", "cmd/main.go", "README.md"]
MODELS = {"claude": "claude-sonnet-4-5-20250929", "codex": "gpt-5-codex", "openclaw": "claude-opus-4-1", "cursor": "gpt-5"}


def sentence(rng, n):
    return " ".join(rng.choice(VOCABULARY) for _ in range(n)).capitalize() + "."


def stamp(base, seconds):
    return (base + dt.timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_lines(path, objects):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for obj in objects:
            f.write(json.dumps(obj, separators=(",", ":")) + "\n")


def claude(rng, home, sessions, base):
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        project = f"/home/demo/work/app-{s % 3}"
        folder = os.path.join(home, ".claude/projects", project.replace("/", "-"))
        lines, parent, t = [], None, s * 3600
        for turn in range(rng.randint(4, 9)):
            def common(kind):
                nonlocal parent, t
                t += rng.randint(2, 40)
                entry = {"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": project,
                         "sessionId": sid, "version": "2.0.31", "gitBranch": "main", "type": kind,
                         "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "timestamp": stamp(base, t)}
                parent = entry["uuid"]
                return entry
            user = common("user")
            user["message"] = {"role": "user", "content": sentence(rng, rng.randint(6, 30))}
            lines.append(user)
            tool_id = "toolu_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24]
            usage = {"input_tokens": rng.randint(3, 40), "cache_creation_input_tokens": rng.randint(0, 4000),
                     "cache_read_input_tokens": rng.randint(1000, 30000), "output_tokens": rng.randint(50, 900)}
            assistant = common("assistant")
            assistant["requestId"] = "req_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24]
            assistant["message"] = {"id": "msg_" + uuid.UUID(int=rng.getrandbits(128)).hex[:24], "type": "message",
                                    "role": "assistant", "model": MODELS["claude"],
                                    "content": [{"type": "text", "text": sentence(rng, rng.randint(10, 60))},
                                                {"type": "tool_use", "id": tool_id, "name": "Read",
                                                 "input": {"file_path": project + "/" + rng.choice(FILES)}}],
                                    "stop_reason": "tool_use", "usage": usage}
            lines.append(assistant)
            result = common("user")
            result["message"] = {"role": "user", "content": [{"tool_use_id": tool_id, "type": "tool_result",
                                                              "content": "\n".join(sentence(rng, 8) for _ in range(6))}]}
            lines.append(result)
            totals["messages"] += 3
            totals["tokens"] += sum(usage.values())
        write_lines(os.path.join(folder, sid + ".jsonl"), lines)
        totals["sessions"] += 1
    return totals


def codex(rng, home, sessions, base):
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base + dt.timedelta(hours=s * 5)
        folder = os.path.join(home, ".codex/sessions", start.strftime("%Y/%m/%d"))
        t, lines = 0, []

        def emit(kind, payload):
            nonlocal t
            t += rng.randint(1, 20)
            lines.append({"timestamp": stamp(start, t), "type": kind, "payload": payload})
        emit("session_meta", {"id": sid, "timestamp": stamp(start, 0), "cwd": f"/home/demo/work/api-{s % 2}",
                              "originator": "codex_cli_rs", "cli_version": "0.46.0", "instructions": None,
                              "git": {"branch": "main", "commit_hash": uuid.UUID(int=rng.getrandbits(128)).hex}})
        emit("turn_context", {"cwd": f"/home/demo/work/api-{s % 2}", "approval_policy": "on-request",
                              "sandbox_policy": {"mode": "workspace-write"}, "model": MODELS["codex"], "effort": "medium"})
        cumulative = {"input_tokens": 0, "cached_input_tokens": 0, "output_tokens": 0, "reasoning_output_tokens": 0, "total_tokens": 0}
        for turn in range(rng.randint(3, 7)):
            emit("response_item", {"type": "message", "role": "user", "content": [{"type": "input_text", "text": sentence(rng, 15)}]})
            call = "call_" + uuid.UUID(int=rng.getrandbits(128)).hex[:20]
            emit("response_item", {"type": "function_call", "name": "shell", "call_id": call,
                                   "arguments": json.dumps({"command": ["bash", "-lc", "rg -n " + rng.choice(VOCABULARY)]})})
            emit("response_item", {"type": "function_call_output", "call_id": call,
                                   "output": json.dumps({"output": sentence(rng, 20), "metadata": {"exit_code": 0}})})
            emit("response_item", {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": sentence(rng, 40)}]})
            step = {"input_tokens": rng.randint(2000, 20000), "cached_input_tokens": rng.randint(0, 1500),
                    "output_tokens": rng.randint(100, 1500), "reasoning_output_tokens": rng.randint(0, 400)}
            step["total_tokens"] = step["input_tokens"] + step["output_tokens"]
            for key in cumulative:
                cumulative[key] += step[key]
            emit("event_msg", {"type": "token_count", "info": {"total_token_usage": dict(cumulative), "last_token_usage": step,
                                                               "model_context_window": 272000}})
            totals["messages"] += 2
        totals["tokens"] += cumulative["total_tokens"]
        write_lines(os.path.join(folder, f"rollout-{start.strftime('%Y-%m-%dT%H-%M-%S')}-{sid}.jsonl"), lines)
        totals["sessions"] += 1
    return totals


def openclaw(rng, home, sessions, base):
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    folder = os.path.join(home, ".openclaw/agents/main/sessions")
    index = {}
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base + dt.timedelta(hours=s * 7)
        lines = [{"type": "session", "version": 3, "id": sid, "timestamp": stamp(start, 0), "cwd": "/home/demo/.openclaw/workspace"}]
        parent, t = None, 0
        for turn in range(rng.randint(3, 8)):
            for role in ("user", "assistant"):
                t += rng.randint(3, 30)
                mid = uuid.UUID(int=rng.getrandbits(128)).hex[:8]
                message = {"role": role, "content": [{"type": "text", "text": sentence(rng, rng.randint(6, 40))}],
                           "timestamp": int((start + dt.timedelta(seconds=t)).timestamp() * 1000)}
                if role == "assistant":
                    usage = {"input": rng.randint(500, 8000), "output": rng.randint(50, 800), "cacheRead": rng.randint(0, 20000),
                             "cacheWrite": rng.randint(0, 2000)}
                    usage["totalTokens"] = sum(usage.values())
                    usage["cost"] = {"total": round(usage["totalTokens"] * 3e-6, 6)}
                    message.update({"api": "anthropic-messages", "provider": "anthropic", "model": MODELS["openclaw"],
                                    "usage": usage, "stopReason": "stop"})
                    totals["tokens"] += usage["totalTokens"]
                lines.append({"type": "message", "id": mid, "parentId": parent, "timestamp": stamp(start, t), "message": message})
                parent = mid
                totals["messages"] += 1
        write_lines(os.path.join(folder, sid + ".jsonl"), lines)
        index[f"agent:main:demo-{s}"] = {"sessionId": sid, "updatedAt": int(start.timestamp() * 1000), "chatType": "direct",
                                         "sessionFile": os.path.join(folder, sid + ".jsonl")}
        totals["sessions"] += 1
    # The index is a pretty-printed document, rewritten whole: one envelope, one line on the wire.
    with open(os.path.join(folder, "sessions.json"), "w") as f:
        json.dump(index, f, indent=2)
    return totals


def cursor(rng, home, sessions, base):
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    path = os.path.join(home, ".config/Cursor/User/globalStorage/state.vscdb")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE IF NOT EXISTS ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    db.execute("CREATE TABLE IF NOT EXISTS cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    for s in range(sessions):
        composer = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = int((base + dt.timedelta(hours=s * 3)).timestamp() * 1000)
        headers = []
        for b in range(rng.randint(4, 10)):
            bubble_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            kind = 1 if b % 2 == 0 else 2
            bubble = {"_v": 3, "type": kind, "bubbleId": bubble_id, "text": sentence(rng, rng.randint(6, 50)),
                      "createdAt": stamp(base, s * 10800 + b * 30)}
            if kind == 2:
                bubble["tokenCount"] = {"inputTokens": rng.randint(1000, 12000), "outputTokens": rng.randint(50, 900)}
                bubble["modelInfo"] = {"modelName": MODELS["cursor"]}
                totals["tokens"] += sum(bubble["tokenCount"].values())
            db.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (f"bubbleId:{composer}:{bubble_id}", json.dumps(bubble)))
            headers.append({"bubbleId": bubble_id, "type": kind})
            totals["messages"] += 1
        data = {"_v": 10, "composerId": composer, "name": sentence(rng, 4)[:-1], "createdAt": created,
                "lastUpdatedAt": created + 60000, "status": "completed", "fullConversationHeadersOnly": headers}
        db.execute("INSERT INTO cursorDiskKV VALUES (?, ?)", (f"composerData:{composer}", json.dumps(data)))
        totals["sessions"] += 1
    db.commit()
    db.close()
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home")
    parser.add_argument("--sessions", type=int, default=40, help="sessions per tool")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    base = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    summary = {
        "claude-code": claude(rng, args.home, args.sessions, base),
        "codex": codex(rng, args.home, args.sessions, base),
        "openclaw": openclaw(rng, args.home, args.sessions, base),
        "cursor": cursor(rng, args.home, args.sessions, base),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
