import Foundation

/// A temporary home folder laid out from `../shared/fixtures`: each tool's real files where
/// the tool itself puts them on Linux.
public struct FixtureHome: Sendable {
    public let root: URL

    /// The repository (found from this file's path, never a machine-specific one).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var sharedFixtures: URL {
        repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
    }

    /// Fixture path → path under the home.
    public static let layout: [(String, String)] = [
        ("claude/marot-spotter/projects", ".claude/projects"),
        ("claude/claude-code-log/representative_messages.jsonl", ".claude/projects/-home-me-log/11111111-1111-4111-8111-111111111111.jsonl"),
        ("claude/claude-code-log/edge_cases.jsonl", ".claude/projects/-home-me-log/22222222-2222-4222-8222-222222222222.jsonl"),
        ("codex/agent-sessions/stage0-codex-small.jsonl", ".codex/sessions/2026/02/23/rollout-2026-02-23T12-54-34-019c8a59-e9dd-71f0-9ae3-4079fe9726a9.jsonl"),
        ("codex/agent-sessions/codex_050_legacy.jsonl", ".codex/sessions/2025/10/01/rollout-2025-10-01T09-00-00-01990000-0000-7000-8000-000000000050.jsonl"),
        ("codex/agent-sessions/codex_051_usage.jsonl", ".codex/sessions/2025/10/02/rollout-2025-10-02T09-00-00-01990000-0000-7000-8000-000000000051.jsonl"),
        ("codex/agent-sessions/codex_053_rate_limit.jsonl", ".codex/archived_sessions/rollout-2025-10-03T09-00-00-01990000-0000-7000-8000-000000000053.jsonl"),
        ("openclaw/4geeks/agents/main/sessions", ".openclaw/agents/main/sessions"),
        ("cursor/slevin48-cursor-history/workspaceStorage", ".config/Cursor/User/workspaceStorage"),
        ("cursor/agent-sessions-synthetic/chats", ".cursor/chats"),
        ("cursor/agent-sessions-synthetic/projects/tmp-example", ".cursor/projects/tmp-example"),
        ("cursor/codeburn-synthetic/projects/agent-transcripts", ".cursor/projects/workspace-less/agent-transcripts"),
        ("antigravity/agent-sessions/antigravity-cli/brain", ".gemini/antigravity-cli/brain"),
        ("antigravity/codeburn/antigravity-cli/brain/fixture-current-cli", ".gemini/antigravity-cli/brain/fixture-current-cli"),
        ("antigravity/agent-sessions/antigravity/brain", ".gemini/antigravity/brain"),
        ("gemini-cli/home-layout/.gemini/tmp", ".gemini/tmp"),
        ("qwen-code/home-layout/.qwen", ".qwen"),
        ("copilot-cli/home-layout/.copilot", ".copilot"),
        ("droid/home-layout/.factory", ".factory"),
        ("opencode/home-layout/.local/share/opencode", ".local/share/opencode"),
    ]

    /// Files each built-in source matches in this home (counted by hand from the layout above).
    public static let expectedMatches: [String: Int] = [
        "claude-code.transcripts": 5,       // 3 marot-spotter sessions + 2 claude-code-log files
        "claude-code.subagents": 2,         // agent-a2898e3, agent-acompact-e1f845
        "codex.rollouts": 4,                // 3 under sessions/, 1 under archived_sessions/
        "openclaw.transcripts": 4,          // 2 live + .reset + .deleted; not the checkpoint, not the trajectory
        "openclaw.trajectories": 1,
        "cursor.item-chat": 1,              // the workspace state.vscdb
        "cursor-agent.blobs": 1,
        "cursor-agent.meta": 1,
        "cursor-agent.transcripts": 3,      // main + subagent + codeburn transcript
        "antigravity.transcripts": 3,
        "antigravity.artifacts": 1,         // brain/…/task.md
        "gemini-cli.chats": 1,              // session-…-gemini_s.jsonl
        "gemini-cli.chat-documents": 1,     // the legacy session-….json
        "qwen-code.chats": 6,               // six projects' chats
        "copilot-cli.events": 3,            // three session folders
        "droid.sessions": 2,                // sessions/-tmp and sessions/-tmp-large
        "droid.streams": 1,                 // projects/-tmp/sid_stage0_small.jsonl
        "opencode.session-files": 3,
        "opencode.message-files": 9,        // 2 + 4 + 2 + tokscale's msg_test001
        "opencode.part-files": 16,          // 14 in message folders + 2 flat legacy parts
    ]

    /// Copies the fixtures into a new temporary home.
    public static func make() throws -> FixtureHome {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-home-\(UUID().uuidString)")
        let fileManager = FileManager.default
        for (from, to) in layout {
            let source = try SharedFolder.require("fixtures/" + from)
            let destination = root.appendingPathComponent(to)
            try fileManager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try fileManager.copyItem(at: source, to: destination)
        }
        return FixtureHome(root: root)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// Every regular file under the home, relative paths.
    public func files() -> [String] {
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        var paths: [String] = []
        while let url = enumerator?.nextObject() as? URL {
            if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                paths.append(String(url.path.dropFirst(root.path.count + 1)))
            }
        }
        return paths.sorted()
    }
}
