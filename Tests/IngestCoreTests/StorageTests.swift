import Foundation
@testable import Access
@testable import Explorer
@testable import IngestCore
@testable import IngestStore
@testable import Normalization
import Logging
import SensorTestSupport
import Testing

/// The store contract, on SQLite and on PostgreSQL alike.
@Suite struct StorageTests {
    static func envelope(_ id: String = Envelopes.randomID(), source: String = "s", kind: String = "k") -> ValidEnvelope {
        ValidEnvelope(id: id, source: source, kind: kind, device: "d-test",
                      json: Envelopes.make(id: id, source: source, kind: kind))
    }

    static let origin = BatchOrigin(tokenID: 1, batchID: "b-test")

    @Test(arguments: StoreKind.available)
    func insertIsIdempotentByID(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let first = (0..<20).map { _ in Self.envelope() }
            let inserted = try await store.insert(first, from: Self.origin)
            #expect(inserted == InsertOutcome(accepted: 20, duplicates: 0))
            let fresh: [ValidEnvelope] = (0..<5).map { _ in Self.envelope() }
            let overlapping = try await store.insert(Array(first[10...]) + fresh, from: Self.origin)
            #expect(overlapping == InsertOutcome(accepted: 5, duplicates: 10))
            let nothing = try await store.insert([], from: Self.origin)
            #expect(nothing == InsertOutcome(accepted: 0, duplicates: 0))
            #expect(try await store.counts().map(\.envelopes) == [25])
        }
    }

    @Test(arguments: StoreKind.available)
    func aRepeatWithinOneInsertIsCountedAsADuplicate(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let once = Self.envelope()
            let outcome = try await store.insert([once, Self.envelope(), once], from: Self.origin)
            #expect(outcome == InsertOutcome(accepted: 2, duplicates: 1))
            #expect(try await store.envelopes(after: nil, limit: 10).count == 2)
        }
    }

    @Test(arguments: StoreKind.available)
    func theFirstCopyOfAnIDIsTheOneKept(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let id = Envelopes.randomID()
            let original = ValidEnvelope(id: id, source: "s", kind: "k", device: "d", json: Envelopes.make(id: id))
            var imposter = original
            imposter.bytes = ArraySlice(Envelopes.make(id: id, record: #"{"changed":true}"#).utf8)
            _ = try await store.insert([original], from: Self.origin)
            #expect(try await store.insert([imposter], from: Self.origin) == InsertOutcome(accepted: 0, duplicates: 1))
            #expect(try await store.envelopes(after: nil, limit: 10) == [StoredEnvelope(id: id, json: original.json)])
        }
    }

    @Test(arguments: StoreKind.available)
    func countsArePerSourceAndKind(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let envelopes = (0..<3).map { _ in Self.envelope(source: "a", kind: "x") }
                + (0..<2).map { _ in Self.envelope(source: "a", kind: "y") }
                + [Self.envelope(source: "b", kind: "x")]
            _ = try await store.insert(envelopes, from: Self.origin)
            let counts = try await store.counts()
            #expect(counts.map { "\($0.source)/\($0.kind)=\($0.envelopes)" } == ["a/x=3", "a/y=2", "b/x=1"])
            #expect(counts[0].bytes == Int64(envelopes[0..<3].reduce(0) { $0 + $1.json.utf8.count }))
        }
    }

    @Test(arguments: StoreKind.available)
    func envelopesPageInIDOrder(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let envelopes = (0..<25).map { _ in Self.envelope() }
            _ = try await store.insert(envelopes, from: Self.origin)
            var seen: [String] = []
            var after: StoredEnvelope?
            while case let page = try await store.envelopes(after: after, limit: 10), let last = page.last {
                #expect(page.count <= 10)
                seen += page.map(\.id)
                after = last
            }
            #expect(seen == envelopes.map(\.id).sorted())
        }
    }

    @Test(arguments: StoreKind.available)
    func tokensAreKeptHashedBoundToANameAndRevocableByNameOrID(_ kind: StoreKind) async throws {
        try await kind.withFreshStore { store in
            let secrets = (0..<3).map { _ in TokenSecret.generate() }
            let laptop = try await store.createToken(name: "laptop-42", hash: TokenSecret.hash(secrets[0]))
            let ci = try await store.createToken(name: "ci", hash: TokenSecret.hash(secrets[1]))
            _ = try await store.createToken(name: "ci", hash: TokenSecret.hash(secrets[2]))
            #expect(laptop.name == "laptop-42" && laptop.revokedAt == nil)
            #expect(try await store.token(withHash: TokenSecret.hash(secrets[0]))?.id == laptop.id)
            #expect(try await store.token(withHash: secrets[0]) == nil)

            #expect(try await store.revokeTokens(.id(laptop.id)) == 1)
            #expect(try await store.token(withHash: TokenSecret.hash(secrets[0])) == nil)
            #expect(try await store.revokeTokens(.name("ci", tenantID: Tenant.defaultID)) == 2)
            #expect(try await store.revokeTokens(.name("ci", tenantID: Tenant.defaultID)) == 0)
            #expect(try await store.revokeTokens(.name("nobody", tenantID: Tenant.defaultID)) == 0)
            _ = ci

            let listed = try await store.listTokens()
            #expect(listed.map(\.name) == ["laptop-42", "ci", "ci"])
            #expect(listed.allSatisfy { $0.revokedAt != nil })
            #expect(listed[1].id == ci.id)
        }
    }

    @Test(arguments: StoreKind.available)
    func migrationsApplyOnceEvenWhenServersStartTogether(_ kind: StoreKind) async throws {
        let versions = (kind == .sqlite ? Migrations.sqlite : Migrations.postgres).map(\.version)
        #expect(versions == Array(1...versions.count))
        try await kind.withFreshLocation { location in
            // Four stores on one database migrate at the same moment: each migration runs once.
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await location.withTestStore { try await $0.appliedMigrations() }
                    }
                }
                for try await applied in group { #expect(applied == versions) }
            }
            // And again later: nothing to do.
            let again = try await location.withTestStore { store in
                try await store.migrate()
                return try await store.appliedMigrations()
            }
            #expect(again == versions)
        }
    }

    /// A server or command pointed at a PostgreSQL that is not there says so, naming the address
    /// (and not the password), once the start timeout passes: the pool alone would retry forever,
    /// and the time limit turns that into a failure. (No wall-clock bound here: on two busy cores
    /// the whole suite's load decides when a timer fires, not this code.)
    @Test(.timeLimit(.minutes(3)))
    func anUnreachableDatabaseIsNamedWithinTheStartTimeout() async throws {
        let port = freeLoopbackPort()
        let location = StoreLocation.postgres(url: "postgres://someone:hunter2@127.0.0.1:\(port)/fleet")
        await #expect {
            try await location.withStore(logger: .quiet, startTimeout: .seconds(2)) { _ in }
        } throws: { error in
            let text = "\(error)"
            return text.contains("127.0.0.1:\(port)/fleet did not answer within 2.0 seconds") && !text.contains("hunter2")
        }
    }

    /// Emptying the normalised tables for a reparse frees their pages without zeroing them, and
    /// leaves the connection's `secure_delete` as it was for everything else.
    @Test func emptyingForAReparseLeavesSecureDeleteAsItWas() async throws {
        try await StoreKind.sqlite.withFreshStore { store in
            _ = try await store.insert(FullTextSearchTests.envelopes(), from: BatchOrigin(tokenID: 1, batchID: "b1"))
            _ = try await Normalizer(store: store).catchUp()
            let secureDelete = SQLStatement("PRAGMA secure_delete")
            try await store.execute([SQLStatement("PRAGMA secure_delete = 1")])
            try await store.empty(NormalizedSchema.tables, after: [])
            #expect(try await store.query(secureDelete).first?.first?.int == 1)
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM norm_messages")).first?.first?.int == 0)
            try await store.execute([SQLStatement("PRAGMA secure_delete = 0")])
            _ = try await Normalizer(store: store).reparse()
            #expect(try await store.query(secureDelete).first?.first?.int == 0)
            #expect(try await store.query(SQLStatement("SELECT count(*) FROM norm_messages")).first?.first?.int == 3)
        }
    }
}

/// The one SQL text both stores run, as SQLite gets it.
@Suite struct SQLStatementTests {
    @Test func parametersInOrderBecomePlainQuestionMarksAndOthersKeepTheirNumbers() {
        #expect(SQLStatement("INSERT INTO t VALUES ($1, $2), ($3, $4)").sqliteSQL == "INSERT INTO t VALUES (?, ?), (?, ?)")
        #expect(SQLStatement("SELECT * FROM t WHERE a = $1 AND ($2 < 0 OR b = $2)").sqliteSQL
            == "SELECT * FROM t WHERE a = ?1 AND (?2 < 0 OR b = ?2)")
        #expect(SQLStatement("SELECT $2, $1").sqliteSQL == "SELECT ?2, ?1")
        #expect(SQLStatement("SELECT 'a$b', x$1 FROM t WHERE c = $1").sqliteSQL == "SELECT 'a$b', x$1 FROM t WHERE c = ?")
        let many = (1...3000).map { "$\($0)" }.joined(separator: ",")
        #expect(SQLStatement("VALUES (\(many))").sqliteSQL == "VALUES (" + Array(repeating: "?", count: 3000).joined(separator: ",") + ")")
    }
}
