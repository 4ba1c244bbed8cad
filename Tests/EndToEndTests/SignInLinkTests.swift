import Foundation
import SensorTestSupport
import Testing

/// `sensor open` with the real binaries and a real browser: the device's credential gets a
/// link that signs the browser in as the device's person, with `self` (their sessions only);
/// the link works once; a device of no person gets no link.
@Suite(.serialized) struct SignInLinkTests {
    @Test(arguments: SensorIntoIngestTests.databases)
    func aDevicesLinkSignsItsPersonInOnceToTheirOwnSessions(_ kind: String) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("open-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let server = try await IngestServerProcess(database: try await SensorIntoIngestTests.freshDatabase(kind, in: work), directory: work)
        defer { server.stop() }
        let adaSecret = try await EnrollmentEndToEndTests.secret(server, in: work, ["--person", "ada@acme.com"])
        let fleet = try await EnrollmentEndToEndTests.secret(server, in: work, [])
        func sensor(_ arguments: [String], _ home: URL) async throws -> ProcessRunner.Result {
            try await ProcessRunner.run(ProcessRunner.sensor, arguments + ["--home", home.path, "--state-dir", home.appendingPathComponent(".state").path,
                                                                          "--endpoint", server.endpoint], environment: ["SENSOR_TOKEN": ""])
        }
        let ada = try PeopleBrowserTests.home(in: work, "ada-laptop", tokens: 1000)
        let bob = try PeopleBrowserTests.home(in: work, "bob-laptop", tokens: 500)
        #expect(try await sensor(["scan", "--quiet", "--enrollment-file", adaSecret.path], ada).status == 0)
        #expect(try await sensor(["scan", "--quiet", "--enrollment-file", fleet.path], bob).status == 0)
        try await NormalizationEndToEndTests.waitForNormalizing(server)

        // Bob's laptop belongs to no one yet: no link, and the reason.
        let refused = try await sensor(["open"], bob)
        #expect(refused.status != 0 && refused.stderr.contains("belongs to no person"), "\(refused.stderr)")

        let opened = try await sensor(["open"], ada)
        #expect(opened.status == 0, "\(opened.stderr)")
        let link = opened.text.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(link.hasPrefix(server.endpoint + "/login/once/") && opened.stderr.contains("ada@acme.com"), "\(link)")
        let path = String(link.dropFirst(server.endpoint.count))

        // Opening the link only asks (a link preview spends nothing); the button signs in, and
        // the browser sees Ada's session, not Bob's.
        let press = ##"form:{"submit": "#sign-in-once"}"##
        let preview = try await ExplorerBrowserTests.browse(server, token: nil, [path, "/sessions"])
        #expect(preview.pages[0].html.contains("sign-in-once") && preview.pages[1].url.hasPrefix(server.endpoint + "/login"))
        let visit = try await ExplorerBrowserTests.browse(server, token: nil, [path, press, "/sessions", "/access"])
        #expect(visit.pages[1].url == server.endpoint + "/", "the link signs in and lands on the overview: \(visit.pages[1].url)")
        let sessions = visit.pages[2].html
        #expect(sessions.contains("ada-laptop"), "Ada's own session is listed")
        #expect(!sessions.contains("bob-laptop"), "Bob's session is not Ada's to read")
        #expect(visit.pages[3].html.contains("Who read your sessions"))

        // Once only: a second browser gets nothing.
        let again = try await ExplorerBrowserTests.browse(server, token: nil, [path, press, "/sessions"])
        #expect(again.pages[1].html.contains("This link signs in no one"))
        #expect(again.pages[2].url.hasPrefix(server.endpoint + "/login"), "no sign-in came of it")
    }
}
