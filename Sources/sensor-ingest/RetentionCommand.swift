import ArgumentParser
import Foundation
import IngestStore

/// `sensor-ingest retention`: how long words and figures are kept, legal holds, and a pass now.
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Windows for words and figures, legal holds, and what is kept now.",
        subcommands: [Set.self, Status.self, Hold.self, Release.self, Run.self])

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a tenant's windows, e.g. --words 90d --figures 730d (`forever` keeps them).",
            discussion: "The server enforces them every --retention-every: a conversation's words (and raw envelopes) go once its last activity is older than --words; usage rows once their day is older than --figures.")

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The tenant.", valueName: "name")) var tenant = "default"
        @Option(help: ArgumentHelp("Days words are kept.", valueName: "days|forever")) var words: Days?
        @Option(help: ArgumentHelp("Days figures are kept.", valueName: "days|forever")) var figures: Days?

        func validate() throws {
            if words == nil && figures == nil { throw ValidationError("give --words, --figures or both") }
            if let words = words?.days, let figures = figures?.days, figures < words {
                throw ValidationError("--figures (\(figures) days) shorter than --words (\(words)): figures are what outlives words")
            }
        }

        func run() async throws {
            let (tenantName, words, figures) = (tenant, words, figures)
            let policy = try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store).id
                var policy = try await Retention.policies(in: store).first { $0.tenant == tenant } ?? RetentionPolicy(tenant: tenant)
                if let words { policy.wordsDays = words.days }
                if let figures { policy.figuresDays = figures.days }
                try await Retention.set(policy, in: store)
                return policy
            }
            print("tenant \(tenantName): words \(policy.wordsDays.map { "\($0) days" } ?? "forever"), figures \(policy.figuresDays.map { "\($0) days" } ?? "forever")")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Each tenant's windows and holds, and the oldest word and figure kept.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "JSON output (one array).") var json = false

        func run() async throws {
            let statuses = try await store.withStore { try await Retention.status(in: $0) }
            if json { return try JSONOutput.print(statuses) }
            print("tenant\twords\tfigures\tholds\toldest raw envelope\toldest conversation\toldest figure\tsessions kept")
            for status in statuses {
                print([String(status.policy.tenant), status.policy.wordsDays.map { "\($0)d" } ?? "forever",
                       status.policy.figuresDays.map { "\($0)d" } ?? "forever",
                       status.holds.isEmpty ? "—" : status.holds.map { $0.kind == "tenant" ? "tenant" : "\($0.kind) \($0.target)" }.joined(separator: ", "),
                       status.oldestRawEnvelope ?? "—", status.oldestConversation ?? "—", status.oldestFigure ?? "—",
                       String(status.sessionsKept)].joined(separator: "\t"))
            }
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a legal hold on a tenant, a team or a person: nothing of theirs is deleted by retention until released.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var target: PromiseTarget
        @Option(help: "Why (kept with the hold).") var reason: String

        func run() async throws {
            let (target, reason) = (target, reason)
            try await store.withStore { store in
                let (tenant, kind, id) = try await target.resolve(in: store)
                try await Retention.hold(tenant: tenant, kind: kind, target: id, reason: reason, in: store)
            }
            print("held: \(target.team.map { "team \($0)" } ?? target.person ?? "tenant \(target.tenant)")")
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift a legal hold.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var target: PromiseTarget

        func run() async throws {
            let target = target
            let released = try await store.withStore { store in
                let (tenant, kind, id) = try await target.resolve(in: store)
                return try await Retention.release(tenant: tenant, kind: kind, target: id, in: store)
            }
            guard released else { throw ValidationError("no such hold") }
            print("released")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enforce the windows now (`serve` does every --retention-every).")
        @OptionGroup var store: StoreOptions
        @Flag(help: "JSON output (one array).") var json = false

        func run() async throws {
            let outcomes = try await store.withStore { try await Retention.enforce(in: $0) }
            if json { return try JSONOutput.print(outcomes) }
            print("tenant\tconversations\traw envelopes\tusage rows\tsessions")
            for outcome in outcomes {
                print("\(outcome.tenant)\t\(outcome.conversations)\t\(outcome.rawEnvelopes)\t\(outcome.usageRows)\t\(outcome.sessions)")
            }
        }
    }
}
