import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// The normalisers' JSON parser gives what JSONSerialization gives, on every line of every
/// fixture and on the corners of JSON, and refuses what is not JSON.
@Suite struct JSONReaderTests {
    /// The same value: compared as sorted, compact JSON text written by JSONSerialization.
    static func same(_ text: String) -> Bool {
        let foundation = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        let ours = JSONReader.parse(text)
        return foundation.flatMap(CompactJSONTests.foundation) == ours.flatMap(CompactJSONTests.foundation)
            && (foundation == nil) == (ours == nil)
    }

    @Test func everyFixtureLineReadsAsJSONSerializationReadsIt() throws {
        var lines = 0
        for (file, line) in try FixtureJSON.texts() {
            lines += 1
            #expect(Self.same(line), "\(file): \(line.prefix(200))")
        }
        #expect(lines > 1_000)
    }

    @Test func theCornersOfJSON() {
        for text in [#"{"a":[1,-2,3.5,1e3,-0.25E-2,12345678901234567890,0]}"#, #""\u00e9\ud83d\ude00\n\t\"\\\/""#,
                     #"{"dup":1,"dup":2}"#, "[true,false,null,{},[]]", " \n{ \"a\" : 1 } \t", #"{"e":""}"#,
                     #""控制 ünïcødé""#, "9007199254740993", "-9223372036854775808", "1.0", "[1.5e308]"] {
            #expect(Self.same(text), "\(text)")
            #expect(JSONReader.parse(text) != nil, "\(text)")
        }
        for text in ["", "{", "[1,]", "{\"a\":}", "01", "1.", "-", "tru", "\"open", "{\"a\" 1}", "[1] 2", "\"tab\there\"", "{'a':1}", "nul"] {
            #expect(JSONReader.parse(text) == nil, "\(text)")
        }
        // A lone surrogate (JSONSerialization refuses the whole record) is read as U+FFFD, as the
        // ingest server reads envelope fields: the record stays readable.
        #expect((JSONReader.parse(#"{"lone":"\ud800x"}"#) as? [String: Any])?["lone"] as? String == "\u{FFFD}x")
        #expect(JSONReader.parse(String(repeating: "[", count: 600) + String(repeating: "]", count: 600)) == nil)
        #expect(JSONReader.parse(String(repeating: "[", count: 500) + String(repeating: "]", count: 500)) != nil)
    }
}
