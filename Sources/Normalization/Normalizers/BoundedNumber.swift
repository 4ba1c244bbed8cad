import IngestStore
/// Numbers that come from outside (a record, a request, an answer) are bounded before any
/// arithmetic is done with them, so that no sum, difference or product of them can trap.
///
/// The bounds are far beyond anything real: a model response of four billion tokens, a file
/// position of a petabyte, a cost of a billion dollars. A value past a bound is held at it.
public enum BoundedNumber {
    /// The most tokens one count of one usage row may hold (2^32): four counts of a row, and
    /// two billion rows of them, still sum within Int64.
    public static let tokenLimit: Int64 = 1 << 32
    /// The largest file position or ordinal taken from a record (2^50).
    public static let positionLimit: Int64 = 1 << 50
    /// The largest cost of one usage row, in US dollars.
    public static let costLimit = 1e9

    /// A token count held within `0...tokenLimit`.
    public static func tokens(_ value: Int64) -> Int64 { min(max(value, 0), tokenLimit) }

    /// A position or ordinal held within `-positionLimit...positionLimit`.
    public static func position(_ value: Int64) -> Int64 { min(max(value, -positionLimit), positionLimit) }

    /// A cost held within `0...costLimit`; nil for a value that is not a number.
    public static func cost(_ value: Double?) -> Double? {
        guard let value, !value.isNaN else { return nil }
        return min(max(value, 0), costLimit)
    }

    /// `value` rounded to an integer held within `range`; nil for a value that is not a number
    /// (`Int64(Double)` traps on those and on any value past Int64's range).
    public static func integer(_ value: Double, within range: ClosedRange<Int64> = -positionLimit...positionLimit) -> Int64? {
        guard !value.isNaN else { return nil }
        let rounded = value.rounded()
        if rounded <= Double(range.lowerBound) { return range.lowerBound }
        if rounded >= Double(range.upperBound) { return range.upperBound }
        return Int64(rounded)
    }
}

extension Int64 {
    /// `self + other`, held at Int64's bounds instead of trapping: for sums of many rows.
    public func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// Adds `other`, held at Int64's bounds.
    public mutating func addSaturated(_ other: Int64) {
        self = addingSaturated(other)
    }
}
