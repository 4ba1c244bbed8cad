@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// The normalisers' byte search agrees with a plain search of the same text.
@Suite struct ByteSearchTests {
    @Test func findsWhatIsThereAndNothingElse() {
        let text = "~/.codex/archived_sessions/2026/rollout-é.jsonl"
        for part in ["/archived_sessions/", "~", "jsonl", "é.j", text, ""] { #expect(text.containsBytes(part), "\(part)") }
        for part in ["/sessions/2026/", "archived_sessionz", text + "x", "É"] { #expect(!text.containsBytes(part), "\(part)") }
        #expect("aab".containsBytes("ab"))
        #expect(!"".containsBytes("a"))
    }
}
