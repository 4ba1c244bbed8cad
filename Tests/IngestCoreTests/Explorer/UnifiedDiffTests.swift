@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// File changes are shown as unified diffs: the changed lines with three lines of context, in
/// hunks numbered like `diff -u`'s.
@Suite struct UnifiedDiffTests {
    func text(_ lines: [UnifiedDiff.Line]) -> String {
        lines.map(\.text).joined(separator: "\n")
    }

    @Test func aChangedLineIsShownWithItsContext() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n")
        let new = old.replacingOccurrences(of: "line 5", with: "line five")
        #expect(text(UnifiedDiff.lines(old: old, new: new)) == """
            @@ -2,7 +2,7 @@
             line 2
             line 3
             line 4
            -line 5
            +line five
             line 6
             line 7
             line 8
            """)
    }

    @Test func insertionsDeletionsAndSeparateHunks() {
        let old = (1...20).map { "l\($0)" }.joined(separator: "\n")
        var lines = (1...20).map { "l\($0)" }
        lines.remove(at: 1)
        lines.insert("new", at: 15)
        let diff = UnifiedDiff.lines(old: old, new: lines.joined(separator: "\n"))
        // The same hunks as `diff -u` gives for these texts.
        #expect(diff.filter { $0.style == .hunk }.map(\.text) == ["@@ -1,5 +1,4 @@", "@@ -14,6 +13,7 @@"])
        #expect(diff.filter { $0.style == .removed }.map(\.text) == ["-l2"])
        #expect(diff.filter { $0.style == .added }.map(\.text) == ["+new"])
    }

    @Test func aNewFileIsAllAdditionsAndEqualTextsNoDiff() {
        #expect(UnifiedDiff.lines(old: "", new: "a\nb").map(\.text) == ["@@ -0,0 +1,2 @@", "+a", "+b"])
        #expect(UnifiedDiff.lines(old: "same\ntext", new: "same\ntext").isEmpty)
    }

    @Test func aToolsOwnDiffIsStyledLineByLine() {
        let styled = UnifiedDiff.styled("@@ -1 +1 @@\n-a\n+b\n c")
        #expect(styled.map(\.style) == [.hunk, .removed, .added, .context])
    }

    @Test func pastTheEditLimitTheChangeIsShownWhole() {
        let old = (1...50).map { "a\($0)" }.joined(separator: "\n")
        let new = (1...50).map { "b\($0)" }.joined(separator: "\n")
        let diff = UnifiedDiff.lines(old: old, new: new, maxEdits: 10)
        #expect(diff.filter { $0.style == .removed }.count == 50 && diff.filter { $0.style == .added }.count == 50)
    }
}
