import Testing
@testable import SensorModel

@Suite struct JSONScannerTests {
    func valid(_ text: String) -> Bool { JSONScanner.isValid(Array(text.utf8)) }

    @Test func acceptsJSON() {
        for text in [#"{}"#, #"[]"#, #" {"a":[1,2.5e-3,-0,true,false,null,"x\n\u00e9"]} "#, #""text""#, "12",
                     #"{"nested":{"deep":[[[{}]]]}}"#, "{\"é\":\"日本\"}", #"[1E+2, 0.5, -12]"#] {
            #expect(valid(text), "\(text)")
        }
    }

    @Test func rejectsNonJSON() {
        for text in ["", "{", "{\"a\":1}{\"b\":2}", "{\"a\":1,}", "[1,]", "{a:1}", "01", "1.", "-", "tru", "\"\u{01}\"",
                     "\"\\x\"", "\"\\u12\"", "{\"a\" 1}", "[1 2]", "nul", "{\"a\":1}}", "{\"a\":1"] {
            #expect(!valid(text), "\(text)")
        }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(!JSONScanner.isValid([0x22, 0xC3, 0x28, 0x22]))
        #expect(!JSONScanner.isValid([0x22, 0xED, 0xA0, 0x80, 0x22]))  // encoded surrogate
        #expect(!JSONScanner.isValid([0x22, 0xE0, 0x80, 0x80, 0x22]))  // overlong
        #expect(JSONScanner.isValid([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]))
    }

    @Test func deepNestingDoesNotOverflow() {
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(valid(deep))
    }

    @Test func utf8Check() {
        #expect([UInt8]("plain ascii text, longer than eight".utf8).withUnsafeBytes(UTF8Check.isValid))
        #expect([UInt8]("日本語 é".utf8).withUnsafeBytes(UTF8Check.isValid))
        #expect(![UInt8]([0x61, 0xFF, 0x62]).withUnsafeBytes(UTF8Check.isValid))
    }
}
