import CSQLite

/// The argument of a SQL function defined in Swift: its storage class and its bytes (UTF-8
/// text without a terminator, or a blob), valid only during the call.
public struct FunctionArgument {
    public let type: SQLiteColumnType
    public let bytes: UnsafeRawBufferPointer
}

/// What a SQL function defined in Swift returns.
public enum FunctionResult {
    /// The argument, unchanged (no copy).
    case argument
    case null
    case integer(Int64)
    /// UTF-8 text.
    case text([UInt8])
    case blob([UInt8])
    /// The statement fails with this message.
    case error(String)
}

/// The Swift body of a function, kept alive as long as SQLite holds it.
private final class FunctionBody {
    let body: (FunctionArgument) -> FunctionResult
    init(_ body: @escaping (FunctionArgument) -> FunctionResult) { self.body = body }
}

private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Database {
    /// Defines `name(value)` on this connection: a function of one argument, deterministic and
    /// free of side effects (so views, triggers and indexes may use it). It runs on the thread
    /// that steps the statement, like the connection itself.
    public func defineFunction(_ name: String, _ body: @escaping (FunctionArgument) -> FunctionResult) throws {
        let box = Unmanaged.passRetained(FunctionBody(body)).toOpaque()
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS
        let rc = sqlite3_create_function_v2(handle, name, 1, flags, box, { context, _, arguments in
            guard let context, let value = arguments?[0] else { return }
            let body = Unmanaged<FunctionBody>.fromOpaque(sqlite3_user_data(context)).takeUnretainedValue()
            let type: SQLiteColumnType
            let bytes: UnsafeRawBufferPointer
            switch sqlite3_value_type(value) {
            case SQLITE_NULL: type = .null; bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            case SQLITE_BLOB:
                type = .blob
                bytes = UnsafeRawBufferPointer(start: sqlite3_value_blob(value), count: Int(sqlite3_value_bytes(value)))
            case SQLITE_TEXT:
                type = .text
                bytes = UnsafeRawBufferPointer(start: sqlite3_value_text(value), count: Int(sqlite3_value_bytes(value)))
            case SQLITE_INTEGER: type = .integer; bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            default: type = .real; bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            }
            switch body.body(FunctionArgument(type: type, bytes: bytes)) {
            case .argument: sqlite3_result_value(context, value)
            case .null: sqlite3_result_null(context)
            case .integer(let value): sqlite3_result_int64(context, value)
            case .text(let utf8):
                // Never a null pointer: SQLite takes that for NULL.
                (utf8.isEmpty ? [0] : utf8).withUnsafeBytes {
                    sqlite3_result_text64(context, $0.baseAddress?.assumingMemoryBound(to: CChar.self), sqlite3_uint64(utf8.count),
                                          transient, UInt8(SQLITE_UTF8))
                }
            case .blob(let data):
                if data.isEmpty { sqlite3_result_zeroblob(context, 0) } else {
                    data.withUnsafeBytes { sqlite3_result_blob64(context, $0.baseAddress, sqlite3_uint64($0.count), transient) }
                }
            case .error(let message):
                sqlite3_result_error(context, message, -1)
            }
        }, nil, nil, { box in
            if let box { Unmanaged<FunctionBody>.fromOpaque(box).release() }
        })
        // On failure SQLite has already called the destructor, which released the body.
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: lastErrorMessage, sql: nil) }
    }
}
