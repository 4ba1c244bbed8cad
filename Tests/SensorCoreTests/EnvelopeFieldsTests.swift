import Foundation
import Testing
@testable import SensorCore

/// Fields read out of an envelope's first bytes (the audit log's files, a rejected id).
@Suite struct EnvelopeFieldsTests {
    static func envelope(path: String) throws -> ArraySlice<UInt8> {
        let quoted = String(decoding: try JSONSerialization.data(withJSONObject: path, options: .fragmentsAllowed), as: UTF8.self)
        let head = #"{"schema_version":1,"source":"s","id":"0123456789abcdef0123456789abcdef","kind":"k","locator":{"path":"#
        return Array((head + quoted + #","offset":0},"record":{"text":"\"path\":\"not this\""}}"#).utf8)[...]
    }

    @Test func pathsAndIdsComeBackAsWritten() throws {
        for path in ["~/.claude/projects/-a/1.jsonl", "/tmp/quote\"and\\back slash", "/tmp/new\nline", "/home/é日本/😀.jsonl", ""] {
            #expect(AuditLog.locatorPath(try Self.envelope(path: path)) == path)
        }
        #expect(Shipper.envelopeID(try Self.envelope(path: "/x")) == "0123456789abcdef0123456789abcdef")
    }

    @Test func aFieldPastTheLimitOrTornIsNotThere() throws {
        let envelope = try Self.envelope(path: "/x")
        #expect(EnvelopeFields.string(after: #""locator":{"path":""#, in: envelope, limit: 40) == nil)
        let torn = Array(#"{"locator":{"path":"/no/closing/quote"#.utf8)[...]
        #expect(AuditLog.locatorPath(torn) == nil)
    }
}
