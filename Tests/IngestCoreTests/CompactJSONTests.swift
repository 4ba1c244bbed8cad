import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// The normalisers write tool inputs and results back as JSON text with ``CompactJSON``: the
/// same bytes JSONSerialization writes (rows stored before it came must stay equal).
@Suite struct CompactJSONTests {
    static func foundation(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value) || value is NSNumber,
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// Every value in `value`, itself included (compared inside an array: JSON.text gives strings
    /// and null as they are, without writing them).
    static func values(in value: Any) -> [Any] {
        switch value {
        case let object as [String: Any]: return [value] + object.values.flatMap(values)
        case let array as [Any]: return [value] + array.flatMap(values)
        default: return [value]
        }
    }

    @Test func writesEveryFixtureValueAsJSONSerializationDoes() throws {
        var compared = 0
        for (file, line) in try FixtureJSON.texts() {
            guard let parsed = JSONReader.parse(line) else { continue }
            for value in Self.values(in: parsed) {
                compared += 1
                #expect(CompactJSON.text([value]) == Self.foundation([value]), "\(file): \(line.prefix(200))")
            }
        }
        #expect(compared > 10_000)
    }

    @Test func writesTheCornersAsJSONSerializationDoes() throws {
        let corners = [
            #"{"a10":1,"a2":2,"B":3,"a":4,"_":5,"é":6,"A":7,"b1":8,"b01":9,"":10,"Z9":11,"z10":12}"#,
            #"["slash/", "quote\"", "back\\slash", "\u0000\u0001\u001f\b\f\n\r\t", "\u007f", "é😀", ""]"#,
            #"[0, -1, 9223372036854775807, -9223372036854775808, 18446744073709551615, 1.5, -0.25, 1e300, 3.0, true, false, null]"#,
            #"{"nested":{"deep":[{"k":[1,{"x":null}]}]},"empty":{},"list":[]}"#,
        ]
        for text in corners {
            let value = try #require(JSONReader.parse(text), "\(text)")
            for part in Self.values(in: value) {
                #expect(CompactJSON.text([part]) == Self.foundation([part]), "\(part)")
            }
        }
        // What is not JSON is refused, as Foundation refuses it.
        #expect(CompactJSON.text(Date()) == nil)
        #expect(CompactJSON.text(["a": Date()]) == nil)
        #expect(JSON.text(["k": "v/w"]) == #"{"k":"v\/w"}"#)
    }
}
