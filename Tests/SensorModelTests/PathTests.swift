import Testing
@testable import SensorModel

@Suite struct PathTests {
    let template = PathTemplate(home: "/home/me", environment: ["CODEX_HOME": "/data/codex", "EMPTY": "",
                                                               "ROOTS": "/a,/b/", "APPDATA": "C:\\Users\\me\\AppData"])

    @Test func expandsHomeAndVariables() {
        #expect(template.expand("~/.claude") == "/home/me/.claude")
        #expect(template.expand("${CODEX_HOME:-~/.codex}") == "/data/codex")
        #expect(template.expand("${CLAUDE_CONFIG_DIR:-~/.claude}") == "/home/me/.claude")
        #expect(template.expand("${EMPTY:-~/.x}") == "/home/me/.x")
        #expect(template.expand("${UNSET}/x") == nil)
        #expect(template.expand("%APPDATA%\\Cursor\\User") == "C:/Users/me/AppData/Cursor/User")
        // A default that is itself a variable with a default.
        #expect(template.expand("${AMP_DATA_DIR:-${XDG_DATA_HOME:-~/.local/share}/amp}") == "/home/me/.local/share/amp")
        #expect(template.expand("${UNSET:-${CODEX_HOME:-~/.codex}/sessions}/x") == "/data/codex/sessions/x")
        #expect(template.expand("${CODEX_HOME:-${UNSET}/y}") == "/data/codex")
    }

    @Test func splitsListRoots() {
        var declaration = SourceDeclaration(id: "x", kind: "x", format: .jsonl, offset: .byte)
        declaration.roots.all = ["${ROOTS}", "/a"]
        declaration.roots.split = ","
        #expect(template.roots(of: declaration, on: .linux) == ["/a", "/b"])
    }

    @Test func globsMatchSegments() throws {
        func matches(_ pattern: String, _ path: String) -> Bool {
            Glob(pattern)!.matches(path.split(separator: "/"))
        }
        #expect(matches("projects/*/*.jsonl", "projects/p/s.jsonl"))
        #expect(!matches("projects/*/*.jsonl", "projects/p/s/subagents/a.jsonl"))
        #expect(matches("projects/*/*/subagents/**/agent-*.jsonl", "projects/p/s/subagents/agent-1.jsonl"))
        #expect(matches("projects/*/*/subagents/**/agent-*.jsonl", "projects/p/s/subagents/workflows/w/agent-1.jsonl"))
        #expect(matches("sessions/**/rollout-*.jsonl", "sessions/2026/02/23/rollout-x.jsonl"))
        #expect(matches("*.jsonl.reset.*", "a.jsonl.reset.2026-06-03T22-45-31.372Z"))
        #expect(matches("*.checkpoint.*.jsonl", "a.checkpoint.d3e6.jsonl"))
        #expect(matches("[0-9a-f]?.db", "a1.db"))
        #expect(!matches("[!0-9]*.db", "1.db"))
        #expect(Glob("a**b") == nil)
        #expect(Glob.problem(in: "x/[ab") != nil)
        #expect(Glob.problem(in: "x/**") != nil)
    }

    @Test func sqlParametersIgnoreLiterals() {
        #expect(SQLParameters.names(in: "SELECT ':no', x FROM t WHERE a > :cursor - :overlap_ms LIMIT :limit -- :comment")
                == ["cursor", "overlap_ms", "limit"])
        #expect(SQLParameters.names(in: "SELECT CAST(x AS TEXT)::int") == [])
    }
}
