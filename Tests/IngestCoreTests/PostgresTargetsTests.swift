import Foundation
@testable import IngestStore
import SensorTestSupport
import Testing

/// A PostgreSQL URL of several hosts (a primary and its standbys, as libpq reads it): read as
/// written, refused with a reason when it cannot be, and followed to the host that takes writes.
@Suite struct PostgresTargetsTests {
    @Test func aMultiHostURLIsReadAsLibpqReadsIt() throws {
        let targets = try PostgresTargets(url: "postgres://sensor:s3cr%40t@db1:5433,db2,10.0.0.7:6000/fleet?target_session_attrs=read-write&sslmode=require")
        #expect(targets.hosts == [.init(name: "db1", port: 5433), .init(name: "db2", port: 5432), .init(name: "10.0.0.7", port: 6000)])
        #expect(targets.username == "sensor" && targets.password == "s3cr@t" && targets.database == "fleet" && targets.sslMode == "require")
        #expect(targets.followsPrimary)
        let one = try PostgresTargets(url: "postgresql://127.0.0.1/sensor")
        #expect(one.hosts == [.init(name: "127.0.0.1", port: 5432)] && !one.followsPrimary && one.username == "postgres")
    }

    @Test(arguments: [
        ("mysql://h/db", "not a PostgreSQL URL"),
        ("postgres://u@h1:5432,:5433/db", "not a PostgreSQL URL"),
        ("postgres://u@h1:5432,h2:99999/db", "the port of h2:99999"),
        ("postgres://u@h1,h2/db?target_session_attrs=any", "target_session_attrs=read-write"),
        ("postgres://u@h1/db?sslmode=sometimes", "sslmode must be"),
    ])
    func aURLThatCannotBeReadSaysWhy(_ url: String, _ reason: String) {
        #expect { try PostgresTargets(url: url) } throws: { "\($0)".contains(reason) }
    }

    /// The first host refuses connections (a primary that died); the store finds the one that
    /// takes writes and works there.
    @Test(.enabled(if: StoreKind.available.contains(.postgres)))
    func theStoreUsesTheHostThatTakesWrites() async throws {
        try await StoreKind.postgres.withFreshLocation { location in
            guard case .postgres(let url) = location, var components = URLComponents(string: url),
                  let host = components.host, let port = components.port else { return }
            let dead = freeLoopbackPort()
            components.host = "127.0.0.1"
            components.port = dead
            let multi = try #require(components.string?.replacingOccurrences(of: "127.0.0.1:\(dead)", with: "127.0.0.1:\(dead),\(host):\(port)"))
                + "?target_session_attrs=read-write"
            try await StoreLocation.postgres(url: multi).withTestStore { store in
                let outcome = try await store.insert(NormalizerLeaseTests.envelopes(5), from: BatchOrigin(tokenID: 1, batchID: "b"))
                #expect(outcome.accepted == 5)
                #expect(try await store.counts().map(\.envelopes) == [5])
            }
        }
    }
}
