#!/usr/bin/env python3
"""Expected per-tool session, message and token counts for a home laid out from the fixtures,
computed straight from the raw files (not from the sensor or the server), for the end-to-end
normalisation test. Prints {"tool": {"sessions": n, "messages": n, "tokens": n}}.

The rules are the read API's, stated plainly:
- claude-code: a session per sessionId (a sub-agent file: per sessionId/agentId); a message per
  user line, per assistant API response (message.id), per compact_boundary; tokens summed over
  (message.id, requestId) taking the largest snapshot.
- codex: a session per rollout file; a message per response_item message and per compacted
  record; tokens: each token_count whose cumulative total differs from the previous adds its
  turn (last_token_usage), turn.completed usage is cumulative (its last value), 0.50 counts add up.
- openclaw: a session per header id; a message per message/compaction entry (session, entry id);
  tokens from assistant usage (input+output+cacheRead+cacheWrite).
- cursor (IDE): a session per chat tab and per composer with a conversation; a message per bubble.
- cursor-agent: a session per transcript file and per store.db; a message per role line.
- antigravity: a session per conversation; a message per step_index; tokens from gen_metadata.
- gemini-cli, qwen-code, copilot-cli, droid, opencode: see each block below.
"""
import glob, json, os, sqlite3, sys

home = sys.argv[1]
result = {}


def add(tool, sessions=0, messages=0, tokens=0, tool_calls=None):
    entry = result.setdefault(tool, {"sessions": 0, "messages": 0, "tokens": 0})
    entry["sessions"] += sessions
    entry["messages"] += messages
    entry["tokens"] += tokens
    if tool_calls is not None:
        entry["tool_calls"] = entry.get("tool_calls", 0) + tool_calls


def protobuf_fields(data):
    """{field number: first value} of a protocol-buffer message (varints and byte strings)."""
    fields, index = {}, 0

    def varint():
        nonlocal index
        value, shift = 0, 0
        while True:
            byte = data[index]
            index += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    while index < len(data):
        tag = varint()
        if tag & 7 == 0:
            value = varint()
        elif tag & 7 == 2:
            length = varint()
            value, index = data[index:index + length], index + length
        elif tag & 7 == 1:
            value, index = data[index:index + 8], index + 8
        else:
            value, index = data[index:index + 4], index + 4
        fields.setdefault(tag >> 3, value)
    return fields


def lines(path):
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                value = json.loads(raw.replace(b"\0", b""))
            except ValueError:
                continue
            if isinstance(value, dict):
                yield value


# Claude Code
claude = glob.glob(f"{home}/.claude/projects/*/*.jsonl") + glob.glob(f"{home}/.claude/projects/*/*/subagents/**/agent-*.jsonl", recursive=True)
sessions, messages, usage = {}, {}, {}
for path in claude:
    for line in lines(path):
        if not line.get("sessionId"):
            continue
        session = line["sessionId"] + ("/" + line["agentId"] if line.get("agentId") else "")
        sessions[session] = True
        kind = line.get("type")
        ids = messages.setdefault(session, set())
        if kind in ("user", "assistant") and line.get("uuid") and isinstance(line.get("message"), dict):
            message = line["message"]
            ids.add("r" + message["id"] if kind == "assistant" and message.get("id") else "u" + line["uuid"])
            if kind == "assistant" and message.get("id") and isinstance(message.get("usage"), dict):
                u = message["usage"]
                total = sum(u.get(k) or 0 for k in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"))
                key = (message["id"], line.get("requestId") or "")
                usage[key] = max(usage.get(key, 0), total)
        elif kind == "system" and line.get("subtype") == "compact_boundary" and line.get("uuid"):
            ids.add("u" + line["uuid"])
add("claude-code", len(sessions), sum(len(v) for v in messages.values()), sum(usage.values()))

# Codex
for path in glob.glob(f"{home}/.codex/sessions/**/rollout-*.jsonl", recursive=True) + glob.glob(f"{home}/.codex/archived_sessions/**/rollout-*.jsonl", recursive=True):
    count, tokens, previous, cumulative = 0, 0, None, 0
    for line in lines(path):
        payload = line.get("payload") if isinstance(line.get("payload"), dict) else {}
        if line.get("type") == "response_item" and payload.get("type") == "message" or line.get("type") == "compacted":
            count += 1
        if line.get("type") == "event_msg" and payload.get("type") == "token_count" and isinstance(payload.get("info"), dict):
            info = payload["info"]
            if isinstance(info.get("total_token_usage"), dict):
                total = info["total_token_usage"]
                if total != previous:
                    last = info.get("last_token_usage") or total
                    tokens += (last.get("input_tokens") or 0) + (last.get("output_tokens") or 0)
                previous = total
            elif "prompt" in info:
                tokens += (info.get("prompt") or 0) + (info.get("completion") or 0)
        if line.get("type") == "event_msg" and payload.get("type") == "turn.completed" and isinstance(payload.get("usage"), dict):
            usage_now = payload["usage"]
            cumulative = (usage_now.get("input_tokens") or 0) + (usage_now.get("output_tokens") or 0)
    add("codex", 1, count, tokens + cumulative)

# OpenClaw
openclaw = [p for pattern in ("*.jsonl", "*.jsonl.reset.*", "*.jsonl.deleted.*")
            for p in glob.glob(f"{home}/.openclaw/agents/*/sessions/{pattern}")
            if ".checkpoint." not in p and not p.endswith(".trajectory.jsonl")]
sessions, entries, tokens = set(), set(), 0
for path in openclaw:
    session = None
    for line in lines(path):
        if line.get("type") == "session":
            session = line["id"]
            sessions.add(session)
        elif line.get("type") in ("message", "compaction") and session:
            if (session, line.get("id")) in entries:
                continue
            entries.add((session, line.get("id")))
            message = line.get("message") or {}
            if message.get("role") == "assistant" and isinstance(message.get("usage"), dict) and message.get("provider") != "openclaw":
                u = message["usage"]
                tokens += sum(u.get(k) or 0 for k in ("input", "output", "cacheRead", "cacheWrite"))
add("openclaw", len(sessions), len(entries), tokens)

# Cursor IDE: legacy chat in workspace databases
for path in glob.glob(f"{home}/.config/Cursor/User/workspaceStorage/*/state.vscdb"):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for key, value in db.execute("SELECT key, value FROM ItemTable WHERE key IN ('workbench.panel.aichat.view.aichat.chatdata', 'composer.composerData')"):
        value = json.loads(value)
        if key == "workbench.panel.aichat.view.aichat.chatdata":
            for tab in value.get("tabs", []):
                add("cursor", 1, len({b["id"] for b in tab.get("bubbles", []) if b.get("id")}))
        else:
            for composer in value.get("allComposers", []):
                conversation = composer.get("conversation") or []
                if conversation or "fullConversationHeadersOnly" in composer:
                    add("cursor", 1, len({b.get("bubbleId") or b.get("id") for b in conversation}))

# cursor-agent
for path in glob.glob(f"{home}/.cursor/projects/*/agent-transcripts/**/*.jsonl", recursive=True):
    add("cursor-agent", 1, sum(1 for line in lines(path) if "role" in line))
for path in glob.glob(f"{home}/.cursor/chats/*/*/store.db"):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    roles = 0
    for (data,) in db.execute("SELECT data FROM blobs"):
        try:
            roles += 1 if "role" in json.loads(data) else 0
        except (ValueError, TypeError, UnicodeDecodeError):
            pass
    add("cursor-agent", 1, roles)

# Antigravity
steps = {}
for path in glob.glob(f"{home}/.gemini/*/brain/*/.system_generated/logs/transcript.jsonl"):
    conversation = path.split("/brain/")[1].split("/")[0]
    steps.setdefault(conversation, set()).update(line["step_index"] for line in lines(path) if "step_index" in line)
tokens = 0
for path in glob.glob(f"{home}/.gemini/*/conversations/*.db"):
    steps.setdefault(os.path.basename(path)[:-3], set())
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    for (data,) in db.execute("SELECT data FROM gen_metadata"):
        # root #1 → usage #4 → #2 input, #3 output (antigravity/PROVENANCE.md)
        usage = protobuf_fields(protobuf_fields(protobuf_fields(bytes(data))[1])[4])
        tokens += usage.get(2, 0) + usage.get(3, 0)
add("antigravity", len(steps), sum(len(v) for v in steps.values()), tokens)


def records(path):
    """The JSON objects of a JSONL file; a line holding several glued together gives each."""
    decoder = json.JSONDecoder()
    for line in open(path, encoding="utf-8", errors="replace"):
        line = line.strip()
        while line:
            try:
                value, end = decoder.raw_decode(line)
            except ValueError:
                break
            if isinstance(value, dict):
                yield value
            line = line[end:].lstrip()


# Gemini CLI: a session per sessionId; a message per id of a conversation type (the last write
# of an id counts); tokens input + output + thoughts (input counts the cached ones).
sessions, messages = set(), {}
for path in glob.glob(f"{home}/.gemini/tmp/*/chats/session-*.jsonl"):
    session = None
    for record in records(path):
        if "sessionId" in record and "type" not in record:
            session = record["sessionId"]
            sessions.add(session)
        elif record.get("type") in ("user", "gemini", "info", "error", "warning"):
            messages[(session, record["id"])] = record
for path in glob.glob(f"{home}/.gemini/tmp/*/chats/session-*.json"):
    document = json.load(open(path))
    sessions.add(document["sessionId"])
    for record in document.get("messages", []):
        messages[(document["sessionId"], record["id"])] = record
tokens = sum(sum(m.get("tokens", {}).get(k, 0) for k in ("input", "output", "thoughts")) for m in messages.values())
calls = {(key[0], call["id"]) for key, m in messages.items() for call in m.get("toolCalls", [])}
add("gemini-cli", len(sessions), len(messages), tokens, len(calls))

# Qwen Code: a session per sessionId; a message per uuid of a user, assistant or tool_result
# line (the last write counts); tokens prompt + candidates + thoughts of assistant lines.
sessions, messages = set(), {}
for path in glob.glob(f"{home}/.qwen/projects/*/chats/*.jsonl"):
    for record in records(path):
        sessions.add(record["sessionId"])
        if record.get("type") in ("user", "assistant", "tool_result"):
            messages[(record["sessionId"], record["uuid"])] = record
tokens, calls = 0, set()
for (session, _), record in messages.items():
    usage = record.get("usageMetadata") or {}
    tokens += sum(usage.get(k) or 0 for k in ("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount"))
    for part in (record.get("message") or {}).get("parts", []):
        call = part.get("functionCall") or part.get("functionResponse")
        if call and call.get("id"):
            calls.add((session, call["id"]))
add("qwen-code", len(sessions), len(messages), tokens, len(calls))

# Copilot CLI: a session per session folder; a message per event id of a conversation event;
# tokens from the shutdown's per-model usage, else its token details (cache included in input).
conversation = ("user.message", "system.message", "session.error", "assistant.reasoning", "assistant.message")
sessions, count, tokens, calls = 0, 0, 0, 0
for path in glob.glob(f"{home}/.copilot/session-state/*/events.jsonl"):
    sessions += 1
    ids, call_ids = set(), set()
    for record in records(path):
        if record.get("type") in conversation:
            ids.add(record["id"])
        data = record.get("data") or {}
        if record.get("type") == "assistant.message":
            call_ids.update(request["toolCallId"] for request in data.get("toolRequests") or [])
        if record.get("type") in ("tool.execution_start", "tool.execution_complete"):
            call_ids.add(data["toolCallId"])
        if record.get("type") == "session.shutdown":
            data = record["data"]
            usages = [m["usage"] for m in data.get("modelMetrics", {}).values() if "usage" in m]
            if usages:
                tokens += sum(u.get("inputTokens", 0) + u.get("outputTokens", 0) for u in usages)
            elif "tokenDetails" in data:
                tokens += sum(data["tokenDetails"].get(k, {}).get("tokenCount", 0) for k in ("input", "output"))
    count += len(ids)
    calls += len(call_ids)
add("copilot-cli", sessions, count, tokens, calls)

# Factory Droid: a session per transcript (its session_start id) and per stream log
# (session_id); a message per message line (and a stream's completion); no tokens without
# settings files.
sessions, count, calls = set(), 0, set()
for path in glob.glob(f"{home}/.factory/sessions/*/*.jsonl"):
    session = None
    for record in records(path):
        if record.get("type") == "session_start":
            session = record["id"]
            sessions.add(session)
        elif record.get("type") == "message":
            count += 1
            for block in record["message"].get("content") or []:
                if isinstance(block, dict) and block.get("type") in ("tool_use", "tool_result"):
                    calls.add((session, block.get("id") or block.get("tool_use_id")))
for path in glob.glob(f"{home}/.factory/projects/**/*.jsonl", recursive=True):
    for record in records(path):
        sessions.add(record["session_id"])
        count += record.get("type") in ("message", "completion")
        if record.get("type") in ("tool_call", "tool_result"):
            calls.add((record["session_id"], record["toolCallId"]))
add("droid", len(sessions), count, 0, len(calls))

# OpenCode (JSON files before 1.2): a session per session file and per session a message
# names; a message per message file; tokens input + output + reasoning + cache of each.
root = f"{home}/.local/share/opencode/storage"
sessions, count, tokens, calls = set(), 0, 0, set()
for path in glob.glob(f"{root}/part/*/*.json") + glob.glob(f"{root}/part/*.json"):
    part = json.load(open(path))
    if part.get("type") == "tool" and part.get("sessionID"):
        calls.add((part["sessionID"], part["callID"]))
for path in glob.glob(f"{root}/session/*/*.json"):
    sessions.add(json.load(open(path))["id"])
for path in glob.glob(f"{root}/message/*/*.json"):
    message = json.load(open(path))
    sessions.add(message["sessionID"])
    count += 1
    usage = message.get("tokens") or {}
    tokens += sum(usage.get(k, 0) for k in ("input", "output", "reasoning")) + sum((usage.get("cache") or {}).values())
add("opencode", len(sessions), count, tokens, len(calls))

print(json.dumps(result, sort_keys=True))
