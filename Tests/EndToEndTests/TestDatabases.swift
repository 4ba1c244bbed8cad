import Foundation
import Synchronization

/// PostgreSQL databases this test process made, dropped when it exits: a run of the whole
/// suite makes some sixty, and a cluster kept between runs (a developer's) would otherwise keep
/// every one (900 of them, 12 GB, before this).
enum TestDatabases {
    private static let made = Mutex<(admin: String?, names: [String])>((nil, []))

    /// Drops `name` (a database made on the server `admin` names) when the process exits.
    static func dropAtExit(_ name: String, admin: String) {
        let first = made.withLock { made in
            made.admin = admin
            made.names.append(name)
            return made.names.count == 1
        }
        if first { atexit { TestDatabases.dropAll() } }
    }

    private static func dropAll() {
        let (admin, names) = made.withLock { ($0.admin, $0.names) }
        guard let admin, !names.isEmpty else { return }
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        psql.arguments = ["psql", admin, "-q"] + names.flatMap { ["-c", "DROP DATABASE IF EXISTS \($0) WITH (FORCE)"] }
        psql.standardOutput = FileHandle.nullDevice
        psql.standardError = FileHandle.nullDevice
        try? psql.run()
        psql.waitUntilExit()
    }
}
