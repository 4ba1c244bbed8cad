/// An integer taken from a request's query, within bounds, so that no page, offset or limit a
/// client names can make the arithmetic done with it overflow.
package enum QueryNumber {
    /// The largest page or offset any list is paged to: far past any real list.
    package static let maxOffset = 1 << 30

    /// `text` as an integer within `range`; `fallback` when absent or empty; nil when it is not
    /// an integer or lies outside `range` (the caller answers 400).
    package static func parse(_ text: (some StringProtocol)?, default fallback: Int, within range: ClosedRange<Int>) -> Int? {
        guard let text, !text.isEmpty else { return fallback }
        guard let value = Int(text), range.contains(value) else { return nil }
        return value
    }

    /// `text` as an integer held within `range` (pages of the explorer: a link past the end
    /// shows the last reachable page rather than an error); `fallback` when it is not one.
    package static func clamped(_ text: (some StringProtocol)?, default fallback: Int, within range: ClosedRange<Int>) -> Int {
        guard let text, let value = Int(text) ?? (text.allSatisfy({ $0.isNumber }) && !text.isEmpty ? range.upperBound : nil) else {
            return fallback
        }
        return min(max(value, range.lowerBound), range.upperBound)
    }
}
