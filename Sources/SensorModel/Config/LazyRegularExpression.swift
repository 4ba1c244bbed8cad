import Foundation

/// A regular expression compiled the first time it is used, then shared by every thread.
///
/// Hundreds of redaction rules and their allowlists are built at every start, and most never
/// run in a short process (an idle scan finds no prefix to try them on): compiling all of them
/// with ICU was a twentieth of an idle `sensor scan`.
public final class LazyRegularExpression: @unchecked Sendable {
    public let pattern: String
    private let lock = NSLock()
    private var state: State = .pending

    private enum State {
        case pending
        case compiled(NSRegularExpression)
        case invalid
    }

    public init(pattern: String) {
        self.pattern = pattern
    }

    /// The compiled expression; nil when the pattern does not compile (config validation
    /// reports such patterns; a built-in one is a defect the tests catch).
    public var expression: NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        switch state {
        case .compiled(let expression):
            return expression
        case .invalid:
            return nil
        case .pending:
            guard let expression = try? NSRegularExpression(pattern: pattern) else {
                state = .invalid
                return nil
            }
            state = .compiled(expression)
            return expression
        }
    }
}
