import IngestStore
import Normalization
import Access
import Foundation

/// How the explorer writes numbers, money, times and durations.
package enum DisplayFormat {
    /// `13109305` → `13,109,305`.
    /// A report's source as people name it: its first label, capitalised (`cursor-admin` →
    /// Cursor); our own telemetry intake (`otlp`) is OpenTelemetry.
    package static func reporter(_ source: String) -> String {
        if source == "otlp" { return "OpenTelemetry" }
        let first = source.split(whereSeparator: { $0 == "-" || $0 == "." }).first.map(String.init) ?? source
        return first.prefix(1).uppercased() + first.dropFirst()
    }

    package static func count(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// US dollars: cents from a dollar up, four decimals below it; a dash when nothing is priced.
    static func money(_ value: Double?) -> String {
        guard let value else { return "—" }
        if value == 0 { return "$0.00" }
        return value >= 1 ? "$" + String(format: "%.2f", value) : "$" + String(format: "%.4f", value)
    }

    /// `2026-01-02T15:04:05.123Z` → `2026-01-02 15:04`.
    package static func time(_ iso: String?) -> String {
        guard let iso, iso.count >= 16 else { return iso ?? "" }
        return iso.prefix(10) + " " + iso.dropFirst(11).prefix(5)
    }

    package static func date(_ iso: String) -> Date? {
        let strategies: [Date.ISO8601FormatStyle] = [.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted),
                                                     .iso8601]
        for strategy in strategies {
            if let date = try? strategy.parse(iso) { return date }
        }
        return nil
    }

    /// The time between two RFC 3339 instants, as `2h 5m`, `3m 12s`, `45s`; empty when unknown.
    package static func duration(from start: String?, to end: String?) -> String {
        guard let start, let end, let from = date(start), let to = date(end) else { return "" }
        return duration(seconds: to.timeIntervalSince(from))
    }

    package static func duration(seconds: Double) -> String {
        let total = BoundedNumber.integer(seconds, within: 0...(Int64(1) << 40)).map(Int.init) ?? 0
        let days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60, secs = total % 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        if minutes > 0 { return "\(minutes)m \(secs)s" }
        return "\(secs)s"
    }

    /// A line of text, cut to `limit` characters.
    /// A slash command as its tool writes it into the transcript (`<command-message>…</command-message>
    /// <command-name>/init</command-name><command-args>…</command-args>`), as a person typed it:
    /// `/init …`; nil for any other text.
    package static func command(_ text: String) -> String? {
        func element(_ name: String) -> String? {
            guard let start = text.range(of: "<\(name)>"), let end = text.range(of: "</\(name)>", range: start.upperBound..<text.endIndex) else {
                return nil
            }
            return String(text[start.upperBound..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let name = element("command-name"), !name.isEmpty else { return nil }
        let arguments = element("command-args") ?? ""
        return arguments.isEmpty ? name : name + " " + arguments
    }

    static func shortened(_ text: String, limit: Int = 120) -> String {
        let text = command(text) ?? text
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return trimmed.count > limit ? String(trimmed.prefix(limit - 1)) + "…" : trimmed
    }

    /// A search snippet cut at its match marks (``FullTextSearch/matchStart`` and
    /// ``FullTextSearch/matchEnd``) into runs of text, the matches flagged: the template escapes
    /// every run like any other text and wraps the matches in `<mark>`.
    package static func snippet(_ text: String) -> [SearchPage.SnippetPart] {
        var parts: [SearchPage.SnippetPart] = []
        var marked = false
        for run in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\u{1}" || $0 == "\u{2}" }) {
            if !run.isEmpty { parts.append(.init(text: String(run), marked: marked)) }
            let end = run.endIndex
            if end < text.endIndex { marked = text[end] == "\u{1}" }
        }
        return parts
    }

    /// Percent-encodes a query value.
    package static func query(_ pairs: [(String, String?)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let parts = pairs.compactMap { name, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return name + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }
}
