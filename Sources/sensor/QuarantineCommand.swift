import ArgumentParser
import Foundation
import SensorCore

/// `sensor quarantine list|replay`: the envelopes the server rejected one by one.
struct QuarantineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine",
        abstract: "Show or resend the envelopes the server rejected one by one.",
        subcommands: [List.self, Replay.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List quarantined envelopes: when, why, which record.")

        @OptionGroup var common: CommonOptions

        func run() throws {
            let file = QuarantineFile(stateDirectory: common.stateDirectoryURL)
            let entries = try file.entries()
            if entries.isEmpty {
                print("quarantine is empty (\(file.url.path))")
                return
            }
            for entry in entries {
                print("\(entry.quarantinedAt)  \(entry.id)  \(entry.source)  \(entry.path ?? "-")  \(entry.envelope.count) B  " +
                      "HTTP \(entry.status): \(entry.reason)")
            }
            print("\(entries.count) envelope(s) in \(file.url.path); `sensor quarantine replay --endpoint URL` sends them again")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send quarantined envelopes again; those the server now takes leave the quarantine.")

        @OptionGroup var common: CommonOptions
        @OptionGroup var upload: UploadOptions

        func run() async throws {
            let logger = common.makeLogger()
            let file = QuarantineFile(stateDirectory: common.stateDirectoryURL)
            let (client, identity) = try await upload.makeClient(common: common)
            let result: Result<(resent: Int, stillRejected: Int), Error>
            do {
                result = .success(try await file.replay(transport: client, identity: identity, logger: logger))
            } catch {
                result = .failure(error)
            }
            await client.shutdown()
            switch result {
            case .success(let counts):
                print("resent \(counts.resent) envelope(s); \(counts.stillRejected) rejected again and still quarantined")
                if counts.stillRejected > 0 { throw ExitCode(1) }
            case .failure(let error as EndpointError):
                throw ValidationError(error.description)
            case .failure(let error):
                throw error
            }
        }
    }
}
