import Foundation

/// The JSON body of a notification (`format: json`): what happened, in fields a receiver can
/// act on, and one sentence (`summary`) for people (the whole body of a `slack` webhook). Fields
/// that do not apply are left out.
struct AlertNotice: Codable, Sendable, Equatable {
    var type: String
    var tenant: Int64
    var at: String
    var summary: String
    var level: String?
    var budget: Int64?
    var scope: String?
    var target: String?
    var period: String?
    var periodStart: String?
    var metric: String?
    var used: Double?
    var limit: Double?
    var fraction: Double?
    var device: String?
    var host: String?
    var person: String?
    var tool: String?
    var domain: String?
    var lastSeen: String?
    var day: String?
    var count: Int64?
    var threshold: Double?

    init(type: String, tenant: Int64, at: String, summary: String) {
        self.type = type
        self.tenant = tenant
        self.at = at
        self.summary = summary
    }

    static let encoder = JSONEncoder(outputFormatting: [.sortedKeys, .withoutEscapingSlashes], keys: .convertToSnakeCase)

    var text: String { String(decoding: (try? Self.encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) }

    /// The body a webhook of `format` is sent for the stored JSON body.
    static func body(_ stored: String, format: String) -> String {
        guard format == "slack" else { return stored }
        let summary = (try? JSONDecoder().decode(AlertNotice.self, from: Data(stored.utf8)))?.summary ?? stored
        struct Slack: Encodable { var text: String }
        return String(decoding: (try? JSONEncoder().encode(Slack(text: summary))) ?? Data(), as: UTF8.self)
    }
}
