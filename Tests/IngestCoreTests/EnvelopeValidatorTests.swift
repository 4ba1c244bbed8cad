@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SensorModel
import Testing

/// The rules of schemas/envelope.schema.json, one envelope at a time.
@Suite struct EnvelopeValidatorTests {
    static func validate(_ json: String) -> Result<EnvelopeColumns, EnvelopeValidator.Rejection> {
        Array(json.utf8).withUnsafeBytes { EnvelopeValidator.validate($0) }
    }

    @Test func aValidEnvelopeGivesItsColumns() throws {
        let id = Envelopes.randomID()
        let columns = try Self.validate(Envelopes.make(id: id, source: "claude-code.transcripts", kind: "k",
                                                       device: "d-\u{e9}")).get()
        #expect(columns == EnvelopeColumns(id: id, source: "claude-code.transcripts", kind: "k", device: "d-\u{e9}",
                                               path: "~/.test/s.jsonl", collectedAt: "2026-11-24T19:02:03.120Z", redactions: RedactionCounts()))
    }

    static let valid: [(String, String)] = [
        ("json record of any type", Envelopes.make(record: "null")),
        ("text", Envelopes.make(record: #""torn {""#, encoding: "text")),
        ("base64 unpadded", Envelopes.make(record: #""AAEC/+8""#, encoding: "base64")),
        ("row", Envelopes.make(record: #"{"a":1}"#, encoding: "row", extra: #""columns":{"a":"integer"}"#)),
        ("flags", Envelopes.make(extra: #""flags":{"truncated":true,"original_length":9000,"redactions":2,"nul_stripped":false,"not_json":false}"#)),
        ("cursor and key", Envelopes.make().replacingOccurrences(of: #""offset":0"#, with: #""cursor":"17","key":"k1""#)),
        ("collected_at without fraction", Envelopes.make().replacingOccurrences(of: "19:02:03.120Z", with: "19:02:03Z")),
        ("schema_version 1.0", Envelopes.make().replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":1.0"#)),
        ("source with every allowed character", Envelopes.make(source: "a0.b_c-d")),
    ]

    @Test(arguments: valid)
    func accepts(_ name: String, _ json: String) {
        if case .failure(let rejection) = Self.validate(json) { Issue.record("\(name): \(rejection.reason)") }
    }

    static let invalid: [(String, String)] = [
        (Envelopes.make().replacingOccurrences(of: #""schema_version":1,"#, with: ""), "schema_version: required field is missing"),
        (Envelopes.make().replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":2"#), "schema_version: must be 1"),
        (Envelopes.make().replacingOccurrences(of: #""schema_version":1"#, with: #""schema_version":true"#), "schema_version: must be 1"),
        (Envelopes.make(id: "0123456789ABCDEF0123456789ABCDEF"), "id: must be 32 lower-case hex digits"),
        (Envelopes.make(id: "0123456789abcdef"), "id: must be 32 lower-case hex digits"),
        (Envelopes.make(source: ""), "source: must be a string of 1 to 200 characters"),
        (Envelopes.make(kind: String(repeating: "k", count: 201)), "kind: must be a string of 1 to 200 characters"),
        (Envelopes.make().replacingOccurrences(of: #""sensor":"0.1.0""#, with: #""sensor":1"#), "sensor: must be a string of 1 to 100 characters"),
        (Envelopes.make(source: #"a\/b"#), "source: must match ^[a-z0-9][a-z0-9._-]*$"),
        (Envelopes.make(kind: #"x\"} 1\nfake_metric{a=\"b"#), "kind: must match ^[a-z0-9][a-z0-9._-]*$"),
        (Envelopes.make(kind: "Claude"), "kind: must match ^[a-z0-9][a-z0-9._-]*$"),
        (Envelopes.make().replacingOccurrences(of: #""file_id":"f1""#, with: #""file_id":"\#(String(repeating: "f", count: 5000))""#),
         "locator.file_id: must be a string of at most 4096 bytes"),
        (Envelopes.make().replacingOccurrences(of: "2026-11-24T19:02:03.120Z", with: "2026-11-24 19:02:03"), "collected_at: must be"),
        (Envelopes.make().replacingOccurrences(of: "2026-11-24T19:02:03.120Z", with: "2026-02-30T19:02:03Z"), "collected_at: must be"),
        (Envelopes.make().replacingOccurrences(of: "2026-11-24T19:02:03.120Z", with: "2026-11-24T19:02:03+01:00"), "collected_at: must be"),
        (Envelopes.make().replacingOccurrences(of: #""offset":0"#, with: #""offset":-1"#), "locator.offset: must be a non-negative integer"),
        (Envelopes.make().replacingOccurrences(of: #""offset":0"#, with: #""offset":1.5"#), "locator.offset: must be a non-negative integer"),
        (Envelopes.make().replacingOccurrences(of: #""offset":0"#, with: #""inode":3"#), "locator.inode: unknown field"),
        (Envelopes.make().replacingOccurrences(of: #""offset":0"#, with: #""cursor":[1]"#), "locator.cursor: must be a number, a string or null of at most 4096 bytes"),
        (Envelopes.make().replacingOccurrences(of: #""file_id":"f1""#, with: #""file_id":1"#), "locator.file_id: must be a string of at most 4096 bytes"),
        (Envelopes.make(encoding: "yaml"), "encoding: must be one of json, text, base64, row"),
        (Envelopes.make(record: "{}", encoding: "text"), "record: must be a string when encoding is text"),
        (Envelopes.make(record: #""not base64!""#, encoding: "base64"), "record: must be a base64 string when encoding is base64"),
        (Envelopes.make(record: #""AA===""#, encoding: "base64"), "record: must be a base64 string when encoding is base64"),
        (Envelopes.make(record: "[1]", encoding: "row", extra: #""columns":{}"#), "record: must be an object when encoding is row"),
        (Envelopes.make(record: "{}", encoding: "row"), "columns: required when encoding is row"),
        (Envelopes.make(extra: #""columns":{"a":"blob"}"#), "columns.a: must be one of json, text, base64, integer, real, null"),
        (Envelopes.make(extra: #""flags":{"truncated":"yes"}"#), "flags.truncated: must be true or false"),
        (Envelopes.make(extra: #""flags":{"redactions":-2}"#), "flags.redactions: must be a non-negative integer"),
        (Envelopes.make(extra: #""flags":{"compressed":true}"#), "flags.compressed: unknown field"),
        (Envelopes.make(extra: #""extra":1"#), "extra: unknown field"),
        (Envelopes.make(extra: #""id":"\#(Envelopes.randomID())""#), "id: duplicate field"),
        (#"{"schema_version":1,"id":"0123456789abcdef0123456789abcdef","#, "not a JSON object"),
        ("42", "not a JSON object"),
    ]

    @Test(arguments: invalid)
    func refuses(_ json: String, _ reason: String) {
        switch Self.validate(json) {
        case .success: Issue.record("accepted: \(json)")
        case .failure(let rejection): #expect(rejection.reason.hasPrefix(reason), "\(json)")
        }
    }

    @Test func aRejectionCarriesTheIDWhenOneCanBeRead() {
        guard case .failure(let rejection) = Self.validate(Envelopes.make(id: "short", encoding: "yaml")) else {
            Issue.record("accepted")
            return
        }
        #expect(rejection.id == "short")
    }
}
