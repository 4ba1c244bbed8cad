import IngestStore
import Foundation
import Hummingbird

/// JSON bodies of the API's answers.
package enum JSONAnswer {
    /// `{"error":"…"}` with `status`; `retryAfter` seconds when the client should come back.
    package static func error(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil,
                      headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return json(status, ErrorBody(error: message), headers: headers)
    }

    package static func json(_ status: HTTPResponse.Status, _ value: some Encodable, headers extra: HTTPFields = [:],
                     encoder: JSONEncoder = JSONEncoder(outputFormatting: [.sortedKeys, .withoutEscapingSlashes])) -> Response {
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"cannot encode the answer"}"#.utf8)
        var headers = extra
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    package struct ErrorBody: Encodable {
        package var error: String
    }
}
