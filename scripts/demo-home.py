#!/usr/bin/env python3
"""Lays out a sample home folder of realistic shape, for `scripts/quickstart.sh --demo` and the
tests: Claude Code transcripts, Codex rollouts, OpenClaw sessions (with the pretty-printed
sessions.json index), a Cursor global state database, Gemini CLI chats (messages written again
as they complete), Copilot CLI session events and a Crush project database found through its
projects.json registry, written as each tool writes them (docs in ../shared/formats.md and
formats-more.md). A few MB, deterministic for a seed, no network.

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
MODELS = {"claude": "claude-sonnet-4-5-20250929", "codex": "gpt-5-codex", "openclaw": "claude-opus-4-1", "cursor": "gpt-5",
          "gemini": "gemini-2.5-pro", "copilot": "claude-sonnet-4.5", "crush": "claude-sonnet-4"}


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


def gemini(rng, home, sessions, base):
    """~/.gemini/tmp/<project>/chats/session-*.jsonl: a header, then messages; a reply is written
    first without its tokens, then again with the same id once they are known."""
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base + dt.timedelta(hours=s * 5)
        lines = [{"sessionId": sid, "projectHash": uuid.UUID(int=rng.getrandbits(128)).hex, "startTime": stamp(start, 0),
                  "lastUpdated": stamp(start, 0), "kind": "main"}]
        t = 0
        for turn in range(rng.randint(2, 6)):
            t += rng.randint(5, 40)
            lines.append({"id": f"u{turn}", "timestamp": stamp(start, t), "type": "user", "content": [{"text": sentence(rng, 12)}]})
            reply = {"id": f"g{turn}", "timestamp": stamp(start, t + 2), "type": "gemini", "content": sentence(rng, 30),
                     "thoughts": [], "model": MODELS["gemini"]}
            lines.append(dict(reply))
            lines.append({"$set": {"lastUpdated": stamp(start, t + 3)}})
            cached = rng.randint(0, 4000)
            tokens = {"input": cached + rng.randint(300, 6000), "output": rng.randint(40, 700), "cached": cached,
                      "thoughts": rng.randint(0, 300), "tool": 0}
            tokens["total"] = tokens["input"] + tokens["output"] + tokens["thoughts"]
            reply["tokens"] = tokens
            lines.append(reply)
            totals["messages"] += 2
            totals["tokens"] += tokens["total"]
        name = f"session-{start.strftime('%Y-%m-%dT%H-%M')}-{sid[:8]}.jsonl"
        write_lines(os.path.join(home, ".gemini/tmp/demo-app/chats", name), lines)
        totals["sessions"] += 1
    return totals


def copilot(rng, home, sessions, base):
    """~/.copilot/session-state/<id>/events.jsonl; tokens in the shutdown event, per model, with
    the cache reads and writes inside inputTokens."""
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        start = base + dt.timedelta(hours=s * 6, minutes=20)
        events, n, t = [], 0, 0

        def emit(kind, data):
            nonlocal n
            n += 1
            events.append({"type": kind, "data": data, "id": f"e{n}", "timestamp": stamp(start, t),
                           "parentId": f"e{n - 1}" if n > 1 else None})
        emit("session.start", {"sessionId": sid, "copilotVersion": "1.0.80", "startTime": stamp(start, 0), "selectedModel": MODELS["copilot"],
                               "context": {"cwd": "/home/demo/code/api", "branch": "main"}})
        for turn in range(rng.randint(2, 5)):
            t += rng.randint(5, 60)
            emit("user.message", {"content": sentence(rng, 10)})
            call = f"call_{s}_{turn}"
            emit("assistant.message", {"messageId": f"m{turn}", "content": sentence(rng, 25), "model": MODELS["copilot"],
                                       "toolRequests": [{"toolCallId": call, "name": "bash", "arguments": {"command": "ls"}}],
                                       "outputTokens": rng.randint(20, 300)})
            emit("tool.execution_complete", {"toolCallId": call, "success": True, "result": {"content": "README.md\nsrc\n"}})
            totals["messages"] += 2
        usage = {"inputTokens": 0, "outputTokens": rng.randint(200, 3000), "cacheReadTokens": rng.randint(0, 30000),
                 "cacheWriteTokens": rng.randint(0, 3000)}
        usage["inputTokens"] = usage["cacheReadTokens"] + usage["cacheWriteTokens"] + rng.randint(500, 9000)
        emit("session.shutdown", {"shutdownType": "routine", "currentModel": MODELS["copilot"],
                                  "modelMetrics": {MODELS["copilot"]: {"requests": {"count": 3}, "usage": usage}}})
        totals["tokens"] += usage["inputTokens"] + usage["outputTokens"]
        write_lines(os.path.join(home, ".copilot/session-state", sid, "events.jsonl"), events)
        totals["sessions"] += 1
    return totals


def crush(rng, home, sessions, base):
    """One project's .crush/crush.db, listed in ~/.local/share/crush/projects.json; sessions hold
    running totals (seconds since the epoch, as Crush writes them)."""
    totals = {"sessions": 0, "messages": 0, "tokens": 0}
    project = os.path.join(os.path.abspath(home), "code/demo-app")
    registry = os.path.join(home, ".local/share/crush/projects.json")
    os.makedirs(os.path.dirname(registry), exist_ok=True)
    with open(registry, "w") as f:
        json.dump({"demo-app": {"path": project, "data_dir": ".crush"}}, f, indent=2)
    path = os.path.join(project, ".crush/crush.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("""CREATE TABLE sessions (id TEXT PRIMARY KEY, parent_session_id TEXT, title TEXT NOT NULL, message_count INTEGER NOT NULL DEFAULT 0,
                  prompt_tokens INTEGER NOT NULL DEFAULT 0, completion_tokens INTEGER NOT NULL DEFAULT 0, cost REAL NOT NULL DEFAULT 0.0,
                  updated_at INTEGER NOT NULL, created_at INTEGER NOT NULL)""")
    db.execute("""CREATE TABLE messages (id TEXT PRIMARY KEY, session_id TEXT NOT NULL, role TEXT NOT NULL, parts TEXT NOT NULL DEFAULT '[]',
                  model TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER)""")
    for s in range(sessions):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        created = int((base + dt.timedelta(hours=s * 4, minutes=40)).timestamp())
        count = rng.randint(2, 8)
        for m in range(count):
            role = "user" if m % 2 == 0 else "assistant"
            parts = [{"type": "text", "data": {"text": sentence(rng, 20)}}]
            db.execute("INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (f"{sid}-{m}", sid, role, json.dumps(parts), MODELS["crush"] if role == "assistant" else None,
                        created + m * 20, created + m * 20, created + m * 20 + 5))
        prompt, completion = rng.randint(1000, 40000), rng.randint(100, 4000)
        db.execute("INSERT INTO sessions VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?)",
                   (sid, sentence(rng, 4)[:-1], count, prompt, completion, round((prompt * 3 + completion * 15) / 1e6, 6),
                    created + count * 20, created))
        totals["sessions"] += 1
        totals["messages"] += count
        totals["tokens"] += prompt + completion
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
        "gemini-cli": gemini(rng, args.home, args.sessions, base),
        "copilot-cli": copilot(rng, args.home, args.sessions, base),
        "crush": crush(rng, args.home, args.sessions, base),
    }
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
