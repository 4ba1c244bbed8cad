import ArgumentParser
import Foundation
import SensorCore

/// `sensor open`: a link that signs this device's person in to the explorer, once, within
/// minutes, to see their own sessions (no single sign-on needed).
struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Print a one-time link that signs you in to the explorer as this device's person, to see your own sessions.",
        discussion: "The device's credential (or its ingest token) vouches for you. The link works once, for five minutes, and signs in with `self`: your sessions only. The device must belong to a person (`sensor-ingest person assign`, or a personal enrollment secret).")

    @OptionGroup var common: CommonOptions
    @OptionGroup var upload: UploadOptions

    func run() async throws {
        let (client, _) = try await upload.makeClient(common: common)
        do {
            let link = try await client.signInLink()
            await client.shutdown()
            FileHandle.standardError.write(Data("a link for \(link.person): it works once, within 5 minutes\n".utf8))
            print(link.url)
        } catch {
            await client.shutdown()
            throw ValidationError("\(error)")
        }
    }
}
