import Foundation
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import SensorTestSupport
import SQLiteDB
import Testing

/// Several servers normalising one PostgreSQL store at once, lane by lane: the same rows as one
/// normaliser alone, whatever happens to one of them.
@Suite struct NormalizationLanesTests {
    /// Real Claude Code lines as `devices` devices send them, each device's sessions its own
    /// (as on real machines), interleaved in arrival order as a fleet's batches are.
    static func fleet(devices: Int, linesPerDevice: Int) throws -> [ValidEnvelope] {
        let lines = try RawCustodyTests.claudeCodeLines()
        var envelopes: [ValidEnvelope] = []
        for index in 0..<linesPerDevice {
            for device in 0..<devices {
                let line = lines[index % lines.count]
                    .replacingOccurrences(of: #""sessionId":""#, with: #""sessionId":"d\#(device)r\#(index / lines.count)-"#)
                let id = Envelopes.randomID()
                envelopes.append(ValidEnvelope(
                    id: id, source: "claude-code.transcripts", kind: "claude-code.transcript", device: "device-\(device)",
                    json: Envelopes.make(id: id, source: "claude-code.transcripts", kind: "claude-code.transcript",
                                         device: "device-\(device)", record: line)))
            }
        }
        return envelopes
    }

    /// Every row of every normalised table (and the daily sums), each table's rows sorted.
    static func tables(_ store: any IngestStore) async throws -> [String: [String]] {
        var tables: [String: [String]] = [:]
        for table in NormalizedSchema.tables + ["norm_usage_by_day"] {
            tables[table] = try await store.query(SQLStatement("SELECT * FROM \(table)")).map { row in
                row.map { value -> String in
                    switch value {
                    case .null: "∅"
                    case .integer(let number): String(number)
                    case .real(let number): String(format: "%.9g", number)
                    case .text(let text): text
                    case .blob(let bytes): Data(bytes).base64EncodedString()
                    }
                }.joined(separator: "|")
            }.sorted()
        }
        return tables
    }

    /// Catches up with every lane, waiting out leases a stopped normaliser left behind.
    static func drain(_ normalizers: [Normalizer], _ store: any IngestStore, within seconds: Double) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try await !store.lanesWithWork().isEmpty {
            #expect(Date() < deadline, "lanes still have work after \(seconds) s")
            if Date() >= deadline { return }
            try await withThrowingTaskGroup(of: Int.self) { group in
                for normalizer in normalizers { group.addTask { try await normalizer.catchUp() } }
                try await group.waitForAll()
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    /// A step PostgreSQL chose to give way (a deadlock with another lane's step) is known as such
    /// through the transaction the step ran in, so it is taken again rather than set aside.
    @Test(.enabled(if: StoreKind.available.contains(.postgres)))
    func aDeadlockedStepIsKnownThroughItsTransaction() async throws {
        try await StoreKind.postgres.withFreshStore { store in
            let deadlock = SQLStatement("DO $$ BEGIN RAISE EXCEPTION 'two lanes met' USING ERRCODE = 'deadlock_detected'; END $$")
            await #expect { try await store.applyNormalized([deadlock], lane: 1, expected: 0, next: 1) } throws: { Normalizer.isTransient($0) }
            let broken = SQLStatement("SELECT 1 / 0")
            await #expect { try await store.applyNormalized([broken], lane: 1, expected: 0, next: 1) } throws: { !Normalizer.isTransient($0) }
            let watermark = try await store.watermark(lane: 1)
            #expect(watermark == 0, "nothing applied")
        }
    }

    @Test(.enabled(if: StoreKind.available.contains(.postgres)))
    func twoReplicasAndAKilledThirdWriteTheRowsOneNormaliserWrites() async throws {
        let envelopes = try Self.fleet(devices: 8, linesPerDevice: 1_500)
        // One normaliser alone: the reference.
        let reference = try await StoreKind.postgres.withFreshStore { store in
            try await RawCustodyTests.insert(envelopes, into: store)
            #expect(Set(try await LaneStatus.all(in: store).filter { $0.pending > 0 }.map(\.lane)).count >= 4,
                    "eight devices spread over several lanes")
            let alone = Normalizer(store: store, chunkSize: 200)
            try await Self.drain([alone], store, within: 120)
            #expect(alone.recordsNormalized == envelopes.count)
            return try await Self.tables(store)
        }
        #expect(reference["norm_messages"]?.count ?? 0 > 1_000)
        #expect(reference["norm_usage"]?.count ?? 0 > 100)

        try await StoreKind.postgres.withFreshLocation { location in
            guard case .postgres(let url) = location else { return }
            try await location.withTestStore { store in
                try await RawCustodyTests.insert(envelopes, into: store)
                // A third replica in a process of its own, killed (SIGKILL) while it holds a lane.
                let log = FileManager.default.temporaryDirectory.appendingPathComponent("replica-\(UUID().uuidString).log")
                defer { try? FileManager.default.removeItem(at: log) }
                let replica = try ProcessRunner.start(ProcessRunner.sensorIngest, ["sessions", "--database", url], log: log)
                try await location.withTestStore { second in
                    let one = Normalizer(store: store, chunkSize: 200)
                    let two = Normalizer(store: second, chunkSize: 200)
                    async let working = Self.drain([one, two], store, within: 180)
                    let pid = ":\(replica.processIdentifier):"
                    let deadline = Date().addingTimeInterval(60)
                    while try await !LaneStatus.all(in: store).contains(where: { $0.holder?.contains(pid) == true }) {
                        guard Date() < deadline, replica.isRunning else {
                            Issue.record("the replica process never held a lane: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
                            return
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    kill(replica.processIdentifier, SIGKILL)
                    await ProcessRunner.exit(of: replica)
                    #expect(try await LaneStatus.all(in: store).contains { $0.pending > 0 }, "killed mid-run")
                    try await working
                    #expect(one.recordsNormalized > 0 && two.recordsNormalized > 0, "both replicas normalised")
                }
                // What an operator sees: every lane caught up, none held.
                let status = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["status", "--database", url, "--json"])
                let lanes = try JSONDecoder().decode([LaneStatus].self, from: status.stdout)
                #expect(lanes.map(\.lane) == Array(1...NormalizationLanes.postgres))
                #expect(lanes.allSatisfy { $0.pending == 0 && $0.holder == nil })
                #expect(lanes.reduce(0) { $0 + $1.watermark } > 0)
                let tables = try await Self.tables(store)
                for (table, rows) in reference {
                    #expect(tables[table] == rows, "\(table): \(tables[table]?.count ?? 0) rows against \(rows.count) alone")
                }
            }
        }
    }
}
