import AsyncHTTPClient
import Foundation
import IngestStore
import Logging
import ServiceLifecycle

/// Keeps an organisation's promises while the server runs: every `alertsEvery`, queues the
/// alerts that crossed a line and sends those due; every `retentionEvery`, removes what is past
/// each tenant's retention windows (in short batches, beside ingest). Runs on every replica:
/// alerts are made once whoever finds them, and each send is claimed by one replica.
public struct PromiseKeeper: Service {
    public struct Schedule: Sendable {
        public var alertsEvery: Duration = .seconds(60)
        public var retentionEvery: Duration = .seconds(3600)
        /// The first retry of a failed notification; each next one waits twice as long.
        public var firstRetry: TimeInterval = 30

        public init() {}
    }

    let store: any IngestStore
    let schedule: Schedule
    let logger: Logger

    public init(store: any IngestStore, schedule: Schedule = Schedule(), logger: Logger) {
        self.store = store
        self.schedule = schedule
        self.logger = logger
    }

    public func run() async throws {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let sender = WebhookSender(store: store, http: http, firstRetry: schedule.firstRetry)
        let evaluator = AlertEvaluator(store: store)
        await cancelWhenGracefulShutdown { await rounds(evaluator: evaluator, sender: sender) }
        try await http.shutdown()
    }

    /// One round of alerts outside a server (`sensor-ingest alert run`): what crossed a line is
    /// queued, what is due is sent. Returns (queued, delivered).
    public static func alertRound(store: any IngestStore, firstRetry: TimeInterval = 30) async throws -> (queued: Int, delivered: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let queued = try await AlertEvaluator(store: store).evaluate()
            let delivered = try await WebhookSender(store: store, http: http, firstRetry: firstRetry).sendDue()
            try await http.shutdown()
            return (queued, delivered)
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Alerts every round, retention every `retentionEvery`, until cancelled.
    private func rounds(evaluator: AlertEvaluator, sender: WebhookSender) async {
        var lastRetention: ContinuousClock.Instant?
        // The first round waits one interval: the store is migrated meanwhile.
        while (try? await Task.sleep(for: schedule.alertsEvery)) != nil {
            do {
                let queued = try await evaluator.evaluate()
                let sent = try await sender.sendDue()
                if queued + sent > 0 { logger.info("alerts", metadata: ["queued": "\(queued)", "delivered": "\(sent)"]) }
            } catch {
                logger.warning("alerts failed; trying again at the next round", metadata: ["error": "\(error)"])
            }
            if lastRetention.map({ $0.duration(to: .now) >= schedule.retentionEvery }) ?? true {
                lastRetention = .now
                do {
                    for outcome in try await Retention.enforce(in: store)
                    where outcome.conversations + outcome.rawEnvelopes + outcome.usageRows + outcome.sessions > 0 {
                        logger.notice("retention", metadata: [
                            "tenant": "\(outcome.tenant)", "conversations": "\(outcome.conversations)", "raw_envelopes": "\(outcome.rawEnvelopes)",
                            "usage_rows": "\(outcome.usageRows)", "sessions": "\(outcome.sessions)"])
                    }
                } catch {
                    logger.warning("retention failed; trying again at the next round", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
