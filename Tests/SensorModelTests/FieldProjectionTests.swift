import Foundation
@testable import SensorModel
import Testing

/// Field paths as declarations write them, and what a projection lets leave: named leaves
/// only, never an object or a token.
@Suite struct FieldProjectionTests {
    static func json(_ object: Any?) -> String {
        guard let object else { return "nil" }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
    }

    @Test func pathsParseOrSayWhatIsWrong() throws {
        let projection = try FieldProjection(["a.b", "*.user", #"t|jwt."https://x.io/auth".plan"#, "t|jwt"])
        #expect(projection.paths[0] == [.key("a"), .key("b")])
        #expect(projection.paths[1] == [.anyKey, .key("user")])
        #expect(projection.paths[2] == [.key("t"), .jwtClaims, .key("https://x.io/auth"), .key("plan")])
        #expect(projection.paths[3] == [.key("t"), .jwtClaims])
        for (bad, reason) in [("a..b", "an empty key"), ("a|base64", "the only step after | is jwt"), (#"a."b"#, "a quote is not closed"),
                              ("t|jwtx", "|jwt is followed by . and a claim")] {
            #expect(throws: FieldProjection.ProjectionError(path: bad, reason: reason)) { try FieldProjection([bad]) }
        }
    }

    @Test func onlyNamedLeavesLeave() throws {
        let claims = try JSONSerialization.data(withJSONObject: ["email": "a@b.c", "sub": "secret-subject"]).base64EncodedString()
            .replacingOccurrences(of: "=", with: "")
        let document: [String: Any] = [
            "account": ["email": "a@b.c", "tokens": ["access": "xyz"], "roles": ["admin", "dev"], "nested": [["a": 1]]],
            "apps": ["one": ["user": "u1", "token": "t1"], "two": ["token": "t2"]],
            "id": "e30.\(claims).sig",
        ]
        let projection = try FieldProjection(["account.email", "account.tokens", "account.roles", "account.nested", "apps.*.user",
                                              "id|jwt.email", "id", "missing.field"])
        #expect(Self.json(projection.project(document))
                == #"{"account":{"email":"a@b.c","roles":["admin","dev"]},"apps":{"one":{"user":"u1"}},"id":{"email":"a@b.c"}}"#,
                "an object, an array of objects and the token itself give nothing")
        #expect(try FieldProjection(["nothing"]).project(document) == nil)
        #expect(try FieldProjection(["id|jwt.email"]).project(["id": "not-a-token"]) == nil)
    }
}
