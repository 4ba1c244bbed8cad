import ArgumentParser
import Foundation
import IngestCore

/// `sensor-ingest token create|list|revoke`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list or revoke the bearer tokens sensors send.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it, once: only its SHA-256 hash is kept.")

        @OptionGroup var store: StoreOptions

        @Option(help: "What the token is for: a device, a person, a tenant.")
        var name = "default"

        func run() async throws {
            let secret = TokenSecret.generate()
            let name = self.name
            let token = try await store.withStore { try await $0.createToken(name: name, hash: TokenSecret.hash(secret)) }
            FileHandle.standardError.write(Data("token \(token.id) (\(token.name)) created; it is shown only this once\n".utf8))
            print(secret)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")

        @OptionGroup var store: StoreOptions

        @Flag(help: "JSON output.")
        var json = false

        func run() async throws {
            let tokens = try await store.withStore { try await $0.listTokens() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(tokens), as: UTF8.self))
                return
            }
            print("id\tname\tcreated\tstatus")
            for token in tokens {
                print("\(token.id)\t\(token.name)\t\(token.createdAt)\t\(token.revokedAt.map { "revoked \($0)" } ?? "active")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the active tokens with this name, or this id.")

        @OptionGroup var store: StoreOptions

        @Argument(help: ArgumentHelp("A token's name or id.", valueName: "name-or-id"))
        var token: String

        func run() async throws {
            let token = self.token
            let count = try await store.withStore { try await $0.revokeTokens(token) }
            guard count > 0 else { throw ValidationError("no active token named \(token) or with that id") }
            print("revoked \(count) token\(count == 1 ? "" : "s")")
        }
    }
}
