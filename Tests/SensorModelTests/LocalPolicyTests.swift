import Foundation
import Testing
@testable import SensorModel

/// The local policy bounds what the server layer can make a sensor read.
@Suite struct LocalPolicyTests {
    let local = """
    sources:
      - {id: demo.log, kind: demo.log, roots: {default: ["~/.demo"]}, include: ["*.jsonl"], format: jsonl, offset: byte, deny: {keys: ["auth/*"]}}
    """
    let template = PathTemplate(home: "/home/me", environment: [:])

    func file(_ name: String, _ text: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("policy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    func load(server: String, policy: LocalPolicy = LocalPolicy()) throws -> EffectiveConfig {
        var loader = ConfigLoader()
        loader.sourceDirectories = [try file("local.yaml", local).deletingLastPathComponent()]
        loader.serverDocument = (Data(server.utf8), "server.json")
        loader.policy = (policy, template)
        return loader.load()
    }

    func pushed(root: String, include: String) -> String {
        #"{"sources":[{"id":"x","kind":"x","roots":{"default":["\#(root)"]},"include":["\#(include)"],"format":"json","offset":"snapshot"}]}"#
    }

    @Test func evenAnAllowedHomeNeverReachesCredentialsOrBrowsers() throws {
        var policy = LocalPolicy()
        policy.allowedRoots = ["~"]
        for (root, include) in [("~", ".ssh/id_*"), ("~", "**/*.jsonl"), ("~/.aws", "*"), ("~", ".config/google-chrome/Default/Cookies"),
                                ("~/.demo", "/etc/passwd"), ("~/.demo", "../.ssh/*"), ("~/.demo/../.ssh", "*")] {
            let config = try load(server: pushed(root: root, include: include), policy: policy)
            #expect(config.source("x") == nil, "\(root) + \(include) was allowed")
            #expect(config.problems.contains { $0.reason.hasPrefix("refused by local policy") }, "\(root) + \(include)")
        }
        let fine = try load(server: pushed(root: "~/.demo", include: "sub/*.json"), policy: policy)
        #expect(fine.source("x") != nil && fine.problems.isEmpty, "\(fine.problems)")
    }

    @Test func byDefaultOnlyTheLocalDeclarationsRootsAreAllowed() throws {
        #expect(try load(server: pushed(root: "~/.demo", include: "*.json")).source("x") != nil)
        let outside = try load(server: pushed(root: "~/.elsewhere", include: "*.json"))
        #expect(outside.source("x") == nil)
        #expect(outside.problems.map(\.description).contains { $0.contains("server.json:1:") && $0.contains("x.roots.default") })
    }

    @Test func theServerCannotMakeASourceReadRootsListedByARegistry() throws {
        // A registry lists folders anywhere: only a local declaration may use one.
        let registry = #""registry":{"files":["~/.demo/projects.json"],"path_field":"path"}"#
        let added = try load(server: #"{"sources":[{"id":"x","kind":"x","roots":{"default":["~/.demo"],\#(registry)},"include":["*.db"],"format":"json","offset":"snapshot"}]}"#)
        #expect(added.source("x") == nil)
        #expect(added.problems.contains { $0.field.hasSuffix("roots.registry") && $0.reason.contains("refused by local policy") },
                "\(added.problems)")
        let changed = try load(server: #"{"sources":[{"id":"demo.log","roots":{\#(registry)}}]}"#)
        #expect(changed.source("demo.log")?.roots.registry == nil)
        #expect(changed.problems.contains { $0.field.hasSuffix("roots.registry") }, "\(changed.problems)")
    }

    @Test func theServerCanAddToDenyListsButNeverEmptyThem() throws {
        var policy = LocalPolicy()
        policy.denyKeys = ["secret/*"]
        let config = try load(server: #"{"sources":[{"id":"demo.log","deny":{"keys":["more/*"]}}]}"#, policy: policy)
        #expect(config.source("demo.log")?.deniedKeys == ["auth/*", "more/*", "secret/*"])
        let emptied = try load(server: #"{"sources":[{"id":"demo.log","deny":{"keys":[]}}]}"#)
        #expect(emptied.source("demo.log")?.deniedKeys == ["auth/*"])
    }

    @Test func theRedactionFloorHoldsUnlessThePolicyLowersIt() throws {
        let off = #"{"redaction":{"builtin":false}}"#
        let held = try load(server: off)
        #expect(held.settings.builtinRedaction)
        #expect(held.problems.contains { $0.field == "redaction.builtin" })
        var lowered = LocalPolicy()
        lowered.builtinRedactionRequired = false
        #expect(try load(server: off, policy: lowered).settings.builtinRedaction == false)
    }

    @Test func policyFilesCombineStrictlyAndABadOneIsNamed() throws {
        let system = try file("system.yaml", "redaction: {builtin_required: true}\nallowed_roots: [\"~/.demo\"]\nopt_out: {sources: [a]}\n")
        let user = try file("user.yaml", "redaction: {builtin_required: false}\nallowed_roots: [\"~\"]\nopt_out: {sources: [b], paths: [\"~/work\"]}\n")
        let (policy, problems) = LocalPolicy.load([system, user])
        #expect(problems.isEmpty)
        #expect(policy.builtinRedactionRequired, "a user file cannot lower the system's floor")
        #expect(policy.allowedRoots == ["~/.demo"])
        #expect(policy.optOutSources == ["a", "b"] && policy.optOutPaths == ["~/work"])

        let bad = try file("bad.yaml", "version: 1\nalowed_roots: [\"~\"]\n")
        let (_, found) = LocalPolicy.load([bad])
        let message = try #require(found.first?.description)
        #expect(message.contains("bad.yaml:2:1"), "\(message)")
        #expect(message.contains("allowed_roots"), "did-you-mean: \(message)")
    }

    @Test func optedOutSourcesNeverRunWhateverTheServerSays() throws {
        var policy = LocalPolicy()
        policy.optOutSources = ["demo.log"]
        let config = try load(server: #"{"sources":[{"id":"demo.log","enabled":true}]}"#, policy: policy)
        #expect(config.source("demo.log")?.enabled == false)
        #expect(config.runnableSources.isEmpty)
    }
}
