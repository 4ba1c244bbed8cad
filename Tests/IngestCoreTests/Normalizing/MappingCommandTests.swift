import Foundation
import Access
import Explorer
import IngestCore
import IngestStore
import Normalization
import SensorTestSupport
import Testing

/// An operator's mappings through the real `sensor-ingest` binary: refused with file, line,
/// column and a did-you-mean when misspelt; taking effect without a rebuild, and applied by
/// `reparse` to what is already stored.
@Suite struct MappingCommandTests {
    static let acmeMapping = """
        # A tool no build knows: one JSON object a line.
        kinds: [acme-agent.log]
        session:
          id: sid
        rules:
          - when: {who: [human, bot]}
            timestamp: at
            message:
              role: {path: who, map: {human: user, bot: assistant}}
              text: say
            usage:
              - input: cost.in
                output: cost.out

        """

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mappings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test func aMisspeltMappingIsRefusedWithItsLineAndColumn() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let misspelt = Self.acmeMapping.replacingOccurrences(of: "    message:", with: "    mesage:")
            .replacingOccurrences(of: "id: sid", with: "id: $memroy.sid")
        try misspelt.write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)

        let result = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["normalizers", "validate", folder.path])
        #expect(result.status == 1)
        let file = folder.appendingPathComponent("acme-agent.yaml").path
        // Line 8, column 5: `mesage:` under the rule.
        #expect(result.text.contains("\(file):8:5: rules[0].mesage: unknown field; did you mean 'message'?"), "\(result.text)")
        // The schema passes; a served registry would refuse it too, naming the path's problem.
        let fixed = misspelt.replacingOccurrences(of: "    mesage:", with: "    message:")
        try fixed.write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        let again = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["normalizers", "validate", folder.path])
        #expect(again.status == 1)
        #expect(again.text.contains("\(file):4:7: session.id: path '$memroy.sid': unknown root '$memroy'; did you mean '$memory'?"),
                "\(again.text)")

        let serve = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["sessions", "--database", folder.appendingPathComponent("x.db").path,
                                                                             "--normalizers", folder.path])
        #expect(serve.status != 0)
        #expect(serve.stderr.contains("unknown root '$memroy'"))
    }

    /// `sensor-ingest normalizers validate` over a folder holding `mapping` as acme-agent.yaml.
    static func validated(_ mapping: String) async throws -> ProcessRunner.Result {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try mapping.write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        return try await ProcessRunner.run(ProcessRunner.sensorIngest, ["normalizers", "validate", folder.path])
    }

    /// A message is either streamed (`append`) or rewritten (`last_write_wins`): a mapping
    /// asking both is refused where it says so.
    @Test func aMessageBothAppendedToAndReplacedIsRefused() async throws {
        let both = Self.acmeMapping.replacingOccurrences(of: "      text: say\n", with: "      text: say\n      append: true\n      last_write_wins: true\n")
        let result = try await Self.validated(both)
        #expect(result.status == 1)
        #expect(result.text.contains("acme-agent.yaml:11:15: rules[0].message.append: a message is either appended to or replaced"), "\(result.text)")
        #expect(try await Self.validated(both.replacingOccurrences(of: "      last_write_wins: true\n", with: "")).status == 0)
    }

    /// `remove` takes a regular expression; one that is not is refused where it is written.
    @Test func aRemoveThatIsNoRegularExpressionIsRefused() async throws {
        let result = try await Self.validated(Self.acmeMapping.replacingOccurrences(of: "      text: say\n", with: "      text: {path: say, remove: \"<(tag\"}\n"))
        #expect(result.status == 1)
        #expect(result.text.contains("acme-agent.yaml:10:33: rules[0].message.text.remove: not a valid regular expression"), "\(result.text)")
    }

    /// A fork's file says which format its kinds are in, and may add rules of its own: a kind
    /// no normaliser reads is refused where it is written, with a did-you-mean; so are kinds
    /// beside `read_as`, a kind another normaliser already takes, rules laid over a Swift
    /// normaliser, a rule naming a kind the file does not read, and a rule with no session id
    /// where the mapping it is laid over names none.
    @Test func aForksReadAsIsCheckedAgainstEveryNormaliser() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("my-fork.yaml")
        func validate(_ text: String) async throws -> ProcessRunner.Result {
            try text.write(to: file, atomically: true, encoding: .utf8)
            return try await ProcessRunner.run(ProcessRunner.sensorIngest, ["normalizers", "validate", folder.path])
        }
        let misspelt = try await validate("tool: my-fork\nread_as:\n  my-fork.rollout: codex.rolout\n")
        #expect(misspelt.status == 1)
        #expect(misspelt.text.contains("\(file.path):3:20: read_as.my-fork.rollout: no normaliser reads 'codex.rolout'; did you mean 'codex.rollout'?"),
                "\(misspelt.text)")
        let withRules = try await validate("read_as: {my-fork.rollout: codex.rollout}\nkinds: [my-fork.log]\nrules: [{skip: true}]\n")
        #expect(withRules.status == 1)
        #expect(withRules.text.contains("\(file.path):2:8: kinds: not with read_as"), "\(withRules.text)")
        let taken = try await validate("read_as: {claude-code.transcript: codex.rollout}\n")
        #expect(taken.text.contains("read_as.claude-code.transcript: 'claude-code.transcript' is already normalised by the built-in ClaudeCodeNormalizer"),
                "\(taken.text)")
        let overSwift = try await validate("read_as: {my-fork.rollout: codex.rollout}\nrules: [{skip: true}]\n")
        #expect(overSwift.status == 1)
        #expect(overSwift.text.contains("read_as.my-fork.rollout: 'codex.rollout' is read by the built-in CodexNormalizer, not a mapping"),
                "\(overSwift.text)")
        let otherKind = try await validate("read_as: {my-fork.session: pi.session}\nrules: [{kinds: [pi.session], skip: true}]\n")
        #expect(otherKind.text.contains("\(file.path):2:17: rules[0].kinds: 'pi.session' is not one of this mapping's kinds"), "\(otherKind.text)")
        let noSession = try await validate("read_as: {my-fork.log: goose.message}\nrules:\n  - when: {type: x}\n    message: {id: id}\n")
        #expect(noSession.text.contains("\(file.path):3:5: rules[0]: no session id"), "\(noSession.text)")
        let laid = try await validate("read_as: {my-fork.session: pi.session}\nrules: [{kinds: [my-fork.session], when: {type: x}, skip: true}]\n")
        #expect(laid.status == 0, "\(laid.text)")
        let good = try await validate("tool: my-fork\nread_as: {my-fork.rollout: codex.rollout}\n")
        #expect(good.status == 0, "\(good.text)")
        let listed = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["normalizers", "list", "--normalizers", folder.path])
        #expect(listed.text.contains("my-fork.yaml: my-fork.rollout (read as codex.rollout)"), "\(listed.text)")
    }

    @Test(arguments: StoreKind.available)
    func aDroppedInMappingTakesEffectAndReparseAppliesItToStoredRecords(_ kind: StoreKind) async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await kind.withFreshLocation { location in
            let database = CommandLineTests.database(location)
            try await location.withTestStore { store in
                try await store.migrate()
                let records = [#"{"sid":"s1","who":"human","say":"ship it","at":"2026-12-01T09:00:00Z"}"#,
                               #"{"sid":"s1","who":"bot","say":"shipped","at":"2026-12-01T09:00:05Z","cost":{"in":10,"out":5}}"#]
                // Two lines of one file, at their offsets.
                let envelopes = records.enumerated()
                    .map { Envelopes.make(source: "acme-agent.logs", kind: "acme-agent.log", record: $1)
                        .replacingOccurrences(of: #""offset":0"#, with: #""offset":\#($0 * 100)"#) }
                    .map { json in
                        let object = try! JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
                        return ValidEnvelope(id: object["id"] as! String, source: "acme-agent.logs", kind: "acme-agent.log",
                                             device: "d-test", json: json)
                    }
                _ = try await store.insert(envelopes, from: BatchOrigin(tokenID: 1, batchID: UUID().uuidString))
            }
            func sessions(_ extra: [String]) async throws -> [[String: Any]] {
                let result = try await ProcessRunner.run(ProcessRunner.sensorIngest,
                                                         ["sessions", "--json", "--include-empty", "--database", database] + extra)
                #expect(result.status == 0, "\(result.stderr)")
                return try JSONSerialization.jsonObject(with: result.stdout) as? [[String: Any]] ?? []
            }
            // No mapping takes the kind: kept raw, no session.
            #expect(try await sessions([]).isEmpty)

            try Self.acmeMapping.write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
            let reparse = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["reparse", "--database", database, "--normalizers", folder.path])
            #expect(reparse.status == 0, "\(reparse.stderr)")
            let found = try await sessions(["--normalizers", folder.path])
            let session = try #require(found.first)
            #expect(found.count == 1)
            #expect(session["tool"] as? String == "acme-agent")
            #expect(session["native_id"] as? String == "s1")
            #expect(session["messages"] as? Int == 2)
            #expect((session["tokens"] as? [String: Any])?["total"] as? Int == 15)
            #expect(session["first_prompt"] as? String == "ship it")

            // An edited mapping, applied by the next reparse.
            try Self.acmeMapping.replacingOccurrences(of: "input: cost.in", with: "input: {sum: [cost.in, cost.in]}")
                .write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
            let again = try await ProcessRunner.run(ProcessRunner.sensorIngest, ["reparse", "--database", database, "--normalizers", folder.path])
            #expect(again.status == 0, "\(again.stderr)")
            let edited = try await sessions(["--normalizers", folder.path])
            #expect((edited.first?["tokens"] as? [String: Any])?["total"] as? Int == 25)
        }
    }
}

/// A running server's mapping directory, re-read when edited.
@Suite struct MappingWatcherTests {
    @Test func anEditedDirectoryTakesEffectForTheNextRecordsAndABadEditIsRefused() async throws {
        let folder = try MappingCommandTests.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let harness = try await NormalizingHarness()
        let watcher = MappingWatcher(directory: folder, normalizer: harness.normalizer, interval: .milliseconds(50), logger: .quiet)
        let running = Task { await watcher.run() }
        defer { running.cancel() }
        func line(_ n: Int) -> String {
            #"{"sid":"s\#(n)","who":"human","say":"hello \#(n)","at":"2026-12-01T09:00:0\#(n)Z"}"#
        }
        func waitFor(_ condition: () -> Bool) async throws {
            for _ in 0..<100 where !condition() { try await Task.sleep(for: .milliseconds(50)) }
        }

        try await harness.ingestLines(line(1), path: "~/.acme/a.log", source: "acme-agent.logs", kind: "acme-agent.log")
        try await harness.normalize()
        #expect(try await harness.sessions("acme-agent").isEmpty)

        try MappingCommandTests.acmeMapping.write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        try await waitFor { harness.normalizer.registry.handles("acme-agent.log") }
        try await harness.ingestLines(line(2), path: "~/.acme/b.log", source: "acme-agent.logs", kind: "acme-agent.log")
        try await harness.normalize()
        // The new record is normalised; the one stored before waits for a reparse.
        #expect(try await harness.sessions("acme-agent").map(\.nativeId) == ["s2"])
        _ = try await harness.normalizer.reparse()
        #expect(Set(try await harness.sessions("acme-agent").map(\.nativeId)) == ["s1", "s2"])

        // A misspelt edit is refused: the mapping in use stays.
        try MappingCommandTests.acmeMapping.replacingOccurrences(of: "    message:", with: "    mesage:")
            .write(to: folder.appendingPathComponent("acme-agent.yaml"), atomically: true, encoding: .utf8)
        #expect(watcher.reload() == false)
        #expect(harness.normalizer.registry.handles("acme-agent.log"))
    }
}
