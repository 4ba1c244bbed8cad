import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Testing

/// Reading in place gives the values decoding gives: every fixture line walked member by member
/// and element by element equals the line as `JSONReader` decodes it, and the corners of
/// strings (escaped quotes, trailing backslashes, brackets inside strings) end where they end.
@Suite struct JSONSpanTests {
    /// The value rebuilt from the span alone: objects from their members (the last of a repeated
    /// key winning), arrays from their elements, strings decoded in place.
    static func rebuilt(_ span: JSONSpan) -> Any? {
        if let object = span.object {
            var result: [String: Any] = [:]
            for key in object.keys { result[key] = object[key].flatMap(rebuilt) }
            return result
        }
        if let elements = span.elements { return elements.compactMap(rebuilt) }
        if let string = span.string { return string }
        return span.decoded
    }

    static func sameInPlace(_ text: String) -> Bool {
        guard let decoded = JSONReader.parse(text) else { return false }
        var text = text
        let inPlace = text.withUTF8 { buffer -> Any? in
            let bytes = UnsafeRawBufferPointer(buffer)
            // A span holds exactly its value: no surrounding whitespace.
            let start = bytes.firstIndex { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } ?? 0
            let end = (bytes.lastIndex { ![0x20, 0x0A, 0x0D, 0x09].contains($0) } ?? bytes.count - 1) + 1
            return rebuilt(JSONSpan(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
        }
        return inPlace.flatMap(CompactJSONTests.foundation) == CompactJSONTests.foundation(decoded)
    }

    @Test func everyFixtureLineReadsInPlaceAsItDecodes() throws {
        var lines = 0
        for (file, line) in try FixtureJSON.texts() where JSONReader.parse(line) != nil {
            lines += 1
            #expect(Self.sameInPlace(line), "\(file): \(line.prefix(200))")
        }
        #expect(lines > 1_000)
    }

    @Test func stringsEndWhereTheyEnd() {
        for text in [#"{"a":"x\"}","b":1}"#, #"{"a":"ends in a backslash\\","b":[1,"]"]}"#, #"["\\\"", "\\\\", "{[", "]}"]"#,
                     #"{ "a" : { "b" : [ 1 , { "c" : "d" } ] } , "e" : null }"#, #"{"dup":1,"dup":{"x":2}}"#,
                     #"[true,false,null,{},[],-0.5e3,12345678901234567890]"#, #"{"k\u0065y":"v","":""}"#,
                     #"{"text":"控制 ünïcødé \ud83d\ude00","n":[[[]]]}"#] {
            #expect(Self.sameInPlace(text), "\(text)")
        }
    }

    @Test func aRecordReadInPlaceIsTheRecordDecodedWhenAskedFor() throws {
        let envelope = #"{"id":"e1","source":"s","kind":"k.line","device":"d","collected_at":"t","locator":{"path":"~/p","offset":7},"#
            + #""encoding":"json","record":{"type":"user","message":{"content":[{"type":"text","text":"hi \"there\""}]}}}"#
        let inPlace = try #require(RawRecord(seq: 1, json: envelope, readInPlace: ["k.line"]))
        let decoded = try #require(RawRecord(seq: 1, json: envelope))
        #expect(inPlace.position == 7 && inPlace.path == "~/p" && inPlace.kind == "k.line")
        #expect(CompactJSONTests.foundation(inPlace.record) == CompactJSONTests.foundation(decoded.record))
        let text = inPlace.withRecordInPlace { record in
            record.object?["message"]?.object?["content"]?.elements?.first?.object?["text"]?.string
        }
        #expect(text == #"hi "there""#)
        #expect(RawRecord(seq: 1, json: #"{"id":"e1","source":"s","kind":"k.line","device":"d","record":{"a":}"#, readInPlace: ["k.line"]) == nil)
    }

    @Test func numbersAndKeysReadAsDecodedOnesAre() {
        for text in ["0", "-12", "42", "123456789012345678", "12345678901234567890", "-9223372036854775808", "1.5", "-2.5e3",
                     "1E2", #""42""#, #""x""#, "true", "false", "null", "[1]", #"{"a":1}"#] {
            var copy = text
            let int = copy.withUTF8 { JSONSpan(bytes: UnsafeRawBufferPointer($0)).int }
            #expect(int == JSON.int(JSONReader.parse(text)), "\(text)")
        }
        var text = #"{"known":1,"new":2,"known":3,"new":4,"other":null}"#
        let unknown = text.withUTF8 { JSONSpan(bytes: UnsafeRawBufferPointer($0)).object?.keys(notIn: ["known"]) }
        #expect(unknown == ["new", "other"])
    }
}
