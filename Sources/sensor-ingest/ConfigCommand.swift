import ArgumentParser
import Crypto
import Foundation
import SensorModel

/// `sensor-ingest config keygen|sign`: the Ed25519 key an operator signs sensor-config with,
/// for laptops whose local policy pins its public key.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Make the key that signs sensor-config, and sign documents with it.",
        discussion: """
            sensor-ingest config keygen --out signing.key      # prints the public key for the laptops' policy.yaml
            sensor-ingest serve --config DIR --config-signing-key signing.key   # every served document signed
            sensor-ingest config sign --key signing.key doc.json > doc.json.sig   # a document signed offline
            """,
        subcommands: [Keygen.self, Sign.self]
    )

    /// Reads a private key written by `keygen` (refused unless only its owner can read it).
    static func privateKey(at path: String) throws -> Curve25519.Signing.PrivateKey {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let permissions = attributes[.posixPermissions] as? Int,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ValidationError("cannot read the signing key \(path)")
        }
        guard permissions & 0o077 == 0 else {
            throw ValidationError("signing key \(path) is readable by others (mode \(String(permissions, radix: 8))); chmod 600 it")
        }
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw ValidationError("\(path) is not an Ed25519 private key written by `sensor-ingest config keygen`")
        }
        return key
    }

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new private key (mode 600) and print its public key.")

        @Option(help: ArgumentHelp("Where the private key goes; refused if it exists.", valueName: "file"))
        var out: String

        func run() throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists; not overwritten") }
            let key = Curve25519.Signing.PrivateKey()
            guard FileManager.default.createFile(atPath: out, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(out)")
            }
            print(key.publicKey.rawRepresentation.base64EncodedString())
            FileHandle.standardError.write(Data("""
                private key written to \(out); the line above is the public key for the laptops' policy.yaml:
                  server_config: {public_key: "\(key.publicKey.rawRepresentation.base64EncodedString())"}

                """.utf8))
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the detached signature (base64) of a document's exact bytes.")

        @Option(help: ArgumentHelp("The private key written by keygen.", valueName: "file"))
        var key: String

        @Argument(help: "The sensor-config document (its bytes are signed as they are).")
        var document: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: document) else { throw ValidationError("cannot read \(document)") }
            print(try ServerConfigSignature.sign(data, with: ConfigCommand.privateKey(at: key)))
        }
    }
}
