import Foundation
import SQLiteDB
import SensorTestSupport
import Testing
@testable import SensorCore
@testable import SensorModel

/// SQL sources against real databases, including one another process keeps writing.
@Suite struct SQLiteSourceTests {
    static let yaml = """
    sources:
      - id: kv.inserts
        kind: kv
        roots: {default: ["~/app"]}
        include: ["state.db"]
        format: sqlite
        offset: cursor
        deny: {keys: ["secret/*"]}
        sqlite:
          query: SELECT rowid AS _cursor, key, value FROM kv WHERE rowid > :cursor ORDER BY rowid LIMIT :limit
          page_size: 50
          key_columns: [key]
      - id: kv.updates
        kind: kv
        roots: {default: ["~/app"]}
        include: ["state.db"]
        format: sqlite
        offset: keyed
        deny: {keys: ["secret/*"]}
        sqlite:
          query: SELECT updated AS _cursor, key, value FROM kv WHERE updated > :cursor - :overlap ORDER BY updated
          key_columns: [key]
          params: {overlap: 1000}
    """

    func makeDatabase(_ engine: EngineHarness, wal: Bool = true) throws -> Database {
        try FileManager.default.createDirectory(at: engine.url("app"), withIntermediateDirectories: true)
        let database = try Database(path: engine.url("app/state.db").path, mode: .readWriteCreate)
        if wal { try database.execute("PRAGMA journal_mode=WAL") }
        // Like Cursor's cursorDiskKV: an update keeps the rowid.
        try database.execute("CREATE TABLE kv (key TEXT UNIQUE, value BLOB, updated INTEGER)")
        return database
    }

    @Test func insertsAreReadOnceAndInPlaceUpdatesOnceEach() async throws {
        let engine = try EngineHarness(Self.yaml)
        let database = try makeDatabase(engine)
        try database.execute("""
            INSERT INTO kv VALUES ('a', '{"v":1}', 1000), ('b', x'00ff10', 1000), ('secret/token', 'hunter2', 1000)
            """)
        let first = try await engine.pass()
        let inserts = first.filter { $0["source"] as? String == "kv.inserts" }
        #expect(inserts.count == 2)  // the secret row is never read
        #expect(first.allSatisfy { $0.encoding == "row" })
        let a = try #require(inserts.first { $0.locator["key"] as? String == "a" })
        #expect(((a["record"] as? [String: Any])?["value"] as? [String: Any])?["v"] as? Int == 1)
        #expect((a["columns"] as? [String: String])?["value"] == "json")
        let b = try #require(inserts.first { $0.locator["key"] as? String == "b" })
        #expect((b["columns"] as? [String: String])?["value"] == "base64")
        #expect(!String(describing: first).contains("hunter2"))
        // The keyed source selects the same two rows (same ids): within one pass a row goes
        // out once, however many sources of its database select it.
        let updates = first.filter { $0["source"] as? String == "kv.updates" }
        #expect(updates.isEmpty)
        #expect(first.count == 2)

        #expect(try await engine.pass().isEmpty)  // nothing changed: nothing, not even a query

        // Update one row in place (rowid kept) and leave the other alone.
        try database.execute("UPDATE kv SET value = '{\"v\":2}', updated = 2000 WHERE key = 'a'")
        let changed = try await engine.pass()
        #expect(changed.count == 1)
        #expect(changed.first?["source"] as? String == "kv.updates")
        #expect(changed.first?.locator["key"] as? String == "a")
        #expect(changed.first?.id != a.id)
        #expect(try await engine.pass().isEmpty)
        // Moving only the cursor column (a timestamp bump) is not a change of the row.
        try database.execute("UPDATE kv SET updated = 2500 WHERE key = 'a'")
        #expect(try await engine.pass().isEmpty)
        try database.execute("UPDATE kv SET value = value WHERE key = 'b'")
        #expect(try await engine.pass().isEmpty)
    }

    @Test func aWriterProcessNeverSeesBusyAndEveryRowAndUpdateIsCollected() async throws {
        let engine = try EngineHarness(Self.yaml)
        _ = try makeDatabase(engine)
        let path = engine.url("app/state.db").path
        // The application opens its database (its first statement sets up the WAL index, as a
        // running app's has been long before a sensor comes by), then inserts and updates for
        // ~3 s without a busy timeout, noting when it meets SQLITE_BUSY.
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", "-c", """
            import sqlite3, sys, time, json
            db = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)
            db.execute("SELECT count(*) FROM kv").fetchall()
            print("ready", flush=True)
            busy = []; n = 0; stamp = 10000
            start = time.time()
            while time.time() < start + 3:
                try:
                    stamp += 1
                    db.execute("INSERT INTO kv VALUES (?, ?, ?)", ("k%d" % n, json.dumps({"v": 0}), stamp)); n += 1
                    if n % 3 == 0:
                        stamp += 1
                        db.execute("UPDATE kv SET value = ?, updated = ? WHERE key = ?", (json.dumps({"v": 1}), stamp, "k%d" % (n - 2)))
                except sqlite3.OperationalError as e:
                    if "locked" in str(e) or "busy" in str(e): busy.append("%s at %.3f s after %d rows" % (e, time.time() - start, n))
                    else: raise
                time.sleep(0.002)
            db.close()
            print(json.dumps({"inserted": n, "busy": busy}))
            """, path]
        let pipe = Pipe()
        writer.standardOutput = pipe
        try writer.run()
        let output = pipe.fileHandleForReading
        let ready = try await onOwnThread { String(decoding: output.readData(ofLength: 6), as: UTF8.self) }
        #expect(ready == "ready\n")
        var collected: [[String: Any]] = []
        while writer.isRunning {
            collected += try await engine.pass()
        }
        collected += try await engine.pass()
        collected += try await engine.pass()
        let summary = try #require(try JSONSerialization.jsonObject(with: output.readDataToEndOfFile()) as? [String: Any])
        #expect(writer.terminationStatus == 0)
        let inserted = try #require(summary["inserted"] as? Int)
        let busy = summary["busy"] as? [String] ?? ["no report"]
        #expect(busy.isEmpty, "the writer met SQLITE_BUSY: \(busy)")
        #expect(inserted > 100)

        // Every row, and every updated version, reached the sensor.
        let byKey = Dictionary(grouping: collected, by: { $0.locator["key"] as? String ?? "" })
        #expect(Set(collected.filter { $0["source"] as? String == "kv.inserts" }.compactMap { $0.locator["key"] as? String }).count == inserted)
        let updatedKeys = (0..<inserted).filter { ($0 + 2) % 3 == 0 && $0 + 2 < inserted }.map { "k\($0)" }
        for key in updatedKeys {
            let versions = Set((byKey[key] ?? []).compactMap { (($0["record"] as? [String: Any])?["value"] as? [String: Any])?["v"] as? Int })
            #expect(versions.contains(1), "\(key) update missed")
        }
        // The sensor created nothing next to the database beyond SQLite's own WAL files.
        let files = try FileManager.default.contentsOfDirectory(atPath: engine.url("app").path).sorted()
        #expect(Set(files).isSubset(of: ["state.db", "state.db-wal", "state.db-shm"]), "\(files)")
    }

    @Test func aRollbackJournalDatabaseIsNotModifiedByReading() async throws {
        let engine = try EngineHarness(Self.yaml)
        let database = try makeDatabase(engine, wal: false)
        try database.execute("INSERT INTO kv VALUES ('a', '{}', 1)")
        let before = try Data(contentsOf: engine.url("app/state.db"))
        let attributes = try FileManager.default.attributesOfItem(atPath: engine.url("app/state.db").path)
        #expect(try await engine.pass().count == 1)  // both sources read it; the row goes out once
        #expect(try Data(contentsOf: engine.url("app/state.db")) == before)
        let after = try FileManager.default.attributesOfItem(atPath: engine.url("app/state.db").path)
        #expect(after[.modificationDate] as? Date == attributes[.modificationDate] as? Date)
        #expect(try FileManager.default.contentsOfDirectory(atPath: engine.url("app").path) == ["state.db"])
    }

    @Test func aLockedDatabaseIsRetriedNextCycleAndAMissingTableMeansInactive() async throws {
        let engine = try EngineHarness(Self.yaml)
        let database = try makeDatabase(engine, wal: false)
        try database.execute("INSERT INTO kv VALUES ('a', '{}', 1)")
        try database.execute("BEGIN EXCLUSIVE")
        let blocked = try await engine.pass()
        #expect(blocked.isEmpty)  // busy: nothing read, nothing skipped
        try database.execute("COMMIT")
        #expect(try await engine.pass().count == 1)

        let other = try EngineHarness(Self.yaml.replacingOccurrences(of: "key_columns: [key]\n", with: "key_columns: [key]\n      required_tables: [kv]\n"))
        try FileManager.default.createDirectory(at: other.url("app"), withIntermediateDirectories: true)
        let empty = try Database(path: other.url("app/state.db").path, mode: .readWriteCreate)
        try empty.execute("CREATE TABLE unrelated (x)")
        #expect(try await other.pass().isEmpty)
    }
}
