import ArgumentParser
import Foundation
import IngestCore
import IngestStore

/// `sensor-ingest alert`: where alerts go, the rules besides budgets, and what was sent.
struct AlertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alert", abstract: "Webhooks, alert rules, and the notifications sent.",
        subcommands: [Webhook.self, Rule.self, List.self, Run.self])

    struct Webhook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add, list and remove the webhooks a tenant's alerts are sent to.",
                                                        subcommands: [Add.self, List.self, Remove.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Send the tenant's alerts to a URL, signed with a secret.")

            @OptionGroup var store: StoreOptions

            @Option(help: ArgumentHelp("The tenant.", valueName: "name"))
            var tenant = "default"

            @Option(help: "https:// (or http:// to a loopback address).")
            var url: String

            @Option(name: .customLong("secret-file"), help: ArgumentHelp("A file holding the signing secret (16 characters or more).", valueName: "file"))
            var secretFile: String

            @Option(help: "json (the alert's fields) or slack (a Slack-compatible {\"text\": …}).")
            var format = "json"

            func validate() throws {
                guard ["json", "slack"].contains(format) else { throw ValidationError("--format: json or slack, not \(format)") }
                guard let parsed = URL(string: url), let host = parsed.host else { throw ValidationError("--url: not a URL: \(url)") }
                let loopback = ["127.0.0.1", "::1", "localhost"].contains(host)
                guard parsed.scheme == "https" || parsed.scheme == "http" && loopback else {
                    throw ValidationError("--url: alerts name people and figures; send them over https (http only to a loopback address)")
                }
            }

            func run() async throws {
                let secret = try String(contentsOfFile: secretFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
                guard secret.count >= 16 else { throw ValidationError("\(secretFile): the secret must be 16 characters or more") }
                let (tenantName, url, format) = (tenant, url, format)
                let id = try await store.withStore { store in
                    try await AlertOutbox.addWebhook(tenant: try await TokenCommand.tenant(named: tenantName, in: store).id, url: url,
                                                     secret: secret, format: format, in: store)
                }
                print("webhook \(id): \(url) (\(format))")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the webhooks (never their secrets).")
            @OptionGroup var store: StoreOptions
            @Flag(help: "JSON output (one array).") var json = false

            func run() async throws {
                let hooks = try await store.withStore { try await AlertOutbox.webhooks(tenant: nil, in: $0) }
                if json { return try JSONOutput.print(hooks) }
                print("id\ttenant\tformat\turl")
                for hook in hooks { print("\(hook.id)\t\(hook.tenant)\t\(hook.format)\t\(hook.url)") }
            }
        }

        struct Remove: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Remove a webhook by its id.")
            @OptionGroup var store: StoreOptions
            @Option(help: ArgumentHelp("The tenant.", valueName: "name")) var tenant = "default"
            @Argument(help: "The webhook's id.") var id: Int64

            func run() async throws {
                let (tenantName, id) = (tenant, id)
                let removed = try await store.withStore { store in
                    try await AlertOutbox.removeWebhook(id: id, tenant: try await TokenCommand.tenant(named: tenantName, in: store).id, in: store)
                }
                guard removed else { throw ValidationError("tenant \(tenantName) has no webhook \(id)") }
                print("webhook \(id) removed")
            }
        }
    }

    struct Rule: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn on an alert rule: personal-account, silent-device (--threshold days) or redactions (--threshold per day).")

        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The tenant.", valueName: "name")) var tenant = "default"
        @Argument(help: "personal-account, silent-device or redactions.") var kind: String
        @Option(help: "Days for silent-device (default 7); secrets a day for redactions (default 20).") var threshold: Double?
        @Flag(help: "Turn the rule off.") var remove = false

        func validate() throws {
            guard AlertRule.kinds.contains(kind) else { throw ValidationError("\(kind): one of \(AlertRule.kinds.joined(separator: ", "))") }
            if let threshold, threshold <= 0 { throw ValidationError("--threshold must be more than 0") }
        }

        func run() async throws {
            let (tenantName, kind, remove) = (tenant, kind, remove)
            let threshold = threshold ?? (kind == "silent-device" ? 7 : kind == "redactions" ? 20 : 0)
            try await store.withStore { store in
                let tenant = try await TokenCommand.tenant(named: tenantName, in: store).id
                if remove {
                    guard try await AlertOutbox.removeRule(tenant: tenant, kind: kind, in: store) else {
                        throw ValidationError("tenant \(tenantName) has no \(kind) rule")
                    }
                } else {
                    try await AlertOutbox.setRule(AlertRule(tenant: tenant, kind: kind, threshold: threshold), in: store)
                }
            }
            print(remove ? "\(kind) off" : "\(kind) on\(kind == "personal-account" ? "" : " (threshold \(threshold))")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The notifications made, newest first: sent, or why not yet.")
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("Only this tenant's.", valueName: "name")) var tenant: String?
        @Flag(help: "JSON output (one array).") var json = false

        func run() async throws {
            let tenantName = tenant
            let rows = try await store.withStore { store in
                var tenant: Int64?
                if let tenantName { tenant = try await TokenCommand.tenant(named: tenantName, in: store).id }
                return try await AlertOutbox.notifications(tenant: tenant, in: store)
            }
            if json { return try JSONOutput.print(rows) }
            print("created\tkind\tattempts\tdelivered\tlast error\tkey")
            for row in rows {
                print([row["created_at"], row["kind"], row["attempts"], row["delivered_at"].flatMap { $0.isEmpty ? "—" : $0 },
                       row["last_error"].flatMap { $0.isEmpty ? "—" : $0 }, row["key"]].map { $0 ?? "" }.joined(separator: "\t"))
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look for crossings and send what is due, once (`serve` does this every --alerts-every).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (queued, delivered) = try await store.withStore { try await PromiseKeeper.alertRound(store: $0) }
            print("queued \(queued), delivered \(delivered)")
        }
    }
}
