import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest mcp`: the MCP server over stdio, for a coding agent on the server's machine
/// (or through SSH); `serve` offers the same at `POST /mcp`.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the MCP tools (search sessions, get a session, usage, recent edits, people) over stdio.",
        discussion: "The token's role decides what every tool answers, as on the read API. Configure an agent with: sensor-ingest mcp --token-file FILE --database URL")

    @OptionGroup var store: StoreOptions

    @Option(name: .customLong("token-file"), help: ArgumentHelp("A file (mode 600) holding a reading token: read, usage, content, self or admin.", valueName: "file"))
    var tokenFile: String

    func run() async throws {
        let permissions = (try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int) ?? 0
        guard permissions & 0o077 == 0 else { throw ValidationError("\(tokenFile) is readable by others; chmod 600 it") }
        let secret = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try await store.withStore { store in
            do {
                try await MCPEndpoint.serveStdio(store: store, secret: secret)
            } catch let error as StoreError {
                throw ValidationError("\(tokenFile): \(error.description)")
            }
        }
    }
}
