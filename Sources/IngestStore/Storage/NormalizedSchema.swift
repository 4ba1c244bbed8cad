/// The normalised tables, the same in both stores but for column types. Every row carries the
/// source it came from, so `reparse --source` can rebuild one source's rows.
package enum NormalizedSchema {
    package typealias Dialect = SQLDialect

    package static func statements(_ dialect: Dialect) -> [String] {
        let int = dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        return [
            """
            CREATE TABLE norm_sessions (
                session_key TEXT PRIMARY KEY, tool TEXT NOT NULL, device TEXT NOT NULL, native_id TEXT NOT NULL,
                source TEXT NOT NULL, project TEXT, git_branch TEXT, title TEXT, status TEXT, tool_version TEXT,
                model TEXT, started_at TEXT, ended_at TEXT)
            """,
            "CREATE INDEX norm_sessions_started ON norm_sessions(started_at)",
            "CREATE TABLE norm_session_files (session_key TEXT NOT NULL, path TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (session_key, path))",
            """
            CREATE TABLE norm_session_links (
                child_key TEXT PRIMARY KEY, parent_key TEXT NOT NULL, tool_call_id TEXT, relation TEXT NOT NULL, source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_session_links_parent ON norm_session_links(parent_key)",
            """
            CREATE TABLE norm_messages (
                message_key TEXT PRIMARY KEY, session_key TEXT NOT NULL, response_id TEXT, role TEXT NOT NULL, kind TEXT NOT NULL,
                text TEXT, model TEXT, created_at TEXT, ordinal \(int) NOT NULL, rank \(int) NOT NULL, source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_messages_session ON norm_messages(session_key)",
            "CREATE TABLE norm_message_positions (message_key TEXT PRIMARY KEY, position \(int) NOT NULL, source TEXT NOT NULL)",
            """
            CREATE TABLE norm_tool_calls (
                call_key TEXT PRIMARY KEY, session_key TEXT NOT NULL, message_key TEXT, call_id TEXT NOT NULL, name TEXT,
                input TEXT, result TEXT, is_error \(int), started_at TEXT, ended_at TEXT, duration_ms \(int), source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_tool_calls_session ON norm_tool_calls(session_key)",
            """
            CREATE TABLE norm_usage (
                usage_key TEXT PRIMARY KEY, session_key TEXT NOT NULL, message_key TEXT, model TEXT, created_at TEXT,
                input_tokens \(int) NOT NULL, output_tokens \(int) NOT NULL, cache_read_tokens \(int) NOT NULL,
                cache_write_tokens \(int) NOT NULL, reasoning_tokens \(int) NOT NULL, total_tokens \(int) NOT NULL,
                cost \(real), source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_usage_session ON norm_usage(session_key)",
            """
            CREATE TABLE norm_file_changes (
                change_key TEXT PRIMARY KEY, session_key TEXT NOT NULL, call_key TEXT, path TEXT NOT NULL, diff TEXT,
                old_text TEXT, new_text TEXT, created_at TEXT, source TEXT NOT NULL)
            """,
            "CREATE INDEX norm_file_changes_session ON norm_file_changes(session_key)",
            "CREATE TABLE norm_session_models (session_key TEXT NOT NULL, model TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (session_key, model))",
            """
            CREATE TABLE norm_drift (
                source TEXT NOT NULL, tool TEXT NOT NULL, tool_version TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
                name TEXT NOT NULL, count \(int) NOT NULL, PRIMARY KEY (source, tool, tool_version, kind, reason, name))
            """,
            "CREATE TABLE norm_file_memory (memory_key TEXT PRIMARY KEY, source TEXT NOT NULL, memory TEXT NOT NULL)",
            "CREATE TABLE norm_progress (id \(int) PRIMARY KEY, last_seq \(int) NOT NULL)",
            "INSERT INTO norm_progress(id, last_seq) VALUES (1, 0)",
        ]
    }

    /// Every normalised table, for clearing before a reparse (progress is reset, not dropped).
    package static let tables = [
        "norm_sessions", "norm_session_files", "norm_session_links", "norm_messages", "norm_message_positions", "norm_tool_calls",
        "norm_usage", "norm_file_changes", "norm_session_models", "norm_drift", "norm_file_memory", "norm_accounts",
    ]
}
