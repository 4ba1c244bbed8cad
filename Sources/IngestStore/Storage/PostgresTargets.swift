import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store connects, read from its URL: one server
/// (`postgres://user:password@host:port/database`), or several as libpq reads them
/// (`postgres://user:password@host1:port1,host2:port2/database?target_session_attrs=read-write`),
/// of which the one that takes writes is used: a primary and its standbys under a failover
/// manager such as Patroni, whichever of them is the primary now.
package struct PostgresTargets: Sendable {
    package struct Host: Sendable, Equatable {
        package var name: String
        package var port: Int
    }

    package var hosts: [Host]
    package var username: String
    package var password: String?
    package var database: String?
    /// `sslmode`: disable, prefer, or require (verify-full is require with verification).
    package var sslMode: String

    /// Several hosts: the store follows whichever takes writes.
    package var followsPrimary: Bool { hosts.count > 1 }

    package init(url: String) throws {
        let usage = "not a PostgreSQL URL (postgres://user:password@host:port/database, or host1:port1,host2:port2 for a primary and its standbys): \(url)"
        guard let scheme = url.range(of: "://"), ["postgres", "postgresql"].contains(url[..<scheme.lowerBound]) else { throw StoreError(usage) }
        // The host list (between the credentials' `@` and the path) is taken apart here, as
        // URLComponents reads one host only; the rest is read with the first host in its place.
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        let credentials = authority.lastIndex(of: "@").map { authority[...$0] } ?? ""
        let list = authority.dropFirst(credentials.count)
        var hosts: [Host] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            guard let name = pieces.first, !name.isEmpty, pieces.count <= 2 else { throw StoreError(usage) }
            guard let port = pieces.count == 2 ? Int(pieces[1]) : 5432, (1...65535).contains(port) else {
                throw StoreError("the port of \(part) is not a number from 1 to 65535: \(url)")
            }
            hosts.append(Host(name: String(name), port: port))
        }
        guard !hosts.isEmpty, let first = hosts.first,
              let components = URLComponents(string: "postgres://\(credentials)\(first.name):\(first.port)\(rest.dropFirst(authority.count))")
        else { throw StoreError(usage) }
        self.hosts = hosts
        username = components.user ?? "postgres"
        password = components.password
        let name = String(components.path.drop { $0 == "/" })
        database = name.isEmpty ? nil : name
        let query = components.queryItems ?? []
        sslMode = query.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "prefer", "require", "verify-full"].contains(sslMode) else {
            throw StoreError("sslmode must be disable, prefer, require or verify-full: \(sslMode)")
        }
        let attributes = query.first { $0.name == "target_session_attrs" }?.value ?? (hosts.count > 1 ? "read-write" : "any")
        if hosts.count > 1 && !["read-write", "primary"].contains(attributes) {
            throw StoreError("sensor-ingest writes, so several hosts need target_session_attrs=read-write (or primary), not \(attributes)")
        }
    }

    /// The pool's configuration for host `index`.
    package func configuration(_ index: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case "prefer": .prefer(.makeClientConfiguration())
        case "require", "verify-full": .require(.makeClientConfiguration())
        default: .disable
        }
        return PostgresClient.Configuration(host: hosts[index].name, port: hosts[index].port, username: username, password: password,
                                            database: database, tls: tls)
    }

    /// `host:port[,host:port]/database`, for messages.
    package var address: String {
        hosts.map { "\($0.name):\($0.port)" }.joined(separator: ",") + "/" + (database ?? "")
    }

    /// Whether host `index` answers and takes writes (it is not a standby in recovery), asked on
    /// a connection of its own within `timeout`.
    package func takesWrites(_ index: Int, timeout: Duration = .seconds(3), logger: Logger) async -> Bool {
        let (host, sslMode, username, password, database) = (hosts[index], sslMode, username, password, database)
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                do {
                    let tls: PostgresConnection.Configuration.TLS = switch sslMode {
                    case "prefer": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                    case "require", "verify-full": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                    default: .disable
                    }
                    let configuration = PostgresConnection.Configuration(host: host.name, port: host.port, username: username,
                                                                         password: password, database: database, tls: tls)
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                    var writable = false
                    do {
                        let rows = try await connection.query("SELECT pg_is_in_recovery()", logger: logger)
                        for try await inRecovery in rows.decode(Bool.self) { writable = !inRecovery }
                    } catch {}
                    try? await connection.close()
                    return writable
                } catch {
                    return false
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let answer = await group.next() ?? false
            group.cancelAll()
            return answer
        }
    }
}
