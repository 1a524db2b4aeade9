import CoreMetrics
import Prometheus
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The daemon's metrics: counters the flusher and the announcer add to as things
/// happen, and gauges read from their sources (the stats board, STATUS, the
/// budget board) each time the text is made, for the textfile and the socket's
/// `metrics` op. Types are swift-metrics'; the text is swift-prometheus's.
package final class ProviderdMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: CatalogMetricsFactory
    private let stats: UsageStatsBoard
    private let reporter: StatusReporter?
    private let budgets: BudgetBoard?
    private let startedAt: Double

    private struct State {
        var labels = MetricLabels()
        /// The stats board's counters as last exported (counters export deltas).
        var exported = (accepted: Int64(0), refused: Int64(0), duplicates: Int64(0))
        /// Budget gauges by budget name, kept while the budget exists.
        var budgetGauges: [String: [CoreMetrics.Gauge]] = [:]
    }

    private let state = Mutex(State())

    package init(stats: UsageStatsBoard, reporter: StatusReporter?, budgets: BudgetBoard?, now: Double = UTCTimestamp.now()) {
        self.factory = CatalogMetricsFactory(registry: registry)
        self.stats = stats
        self.reporter = reporter
        self.budgets = budgets
        self.startedAt = now
        // Every family present from the start, at zero.
        for outcome in ["accepted", "refused", "duplicate"] {
            _ = CoreMetrics.Counter(label: "providerd_usage_records_total", dimensions: [("outcome", outcome)], factory: factory)
        }
    }

    /// A committed segment's rows (those the database took), counted under bounded labels.
    package func flushed(_ aggregate: UsageAggregate, refused: Set<UsageAggregate.Key>) {
        state.withLock { state in
            for (key, totals) in aggregate.rows where !refused.contains(key) {
                let labels = state.labels.labels(service: key.service, model: key.model, priced: !aggregate.unpricedModels.contains(key.model))
                let series = [("service", labels.service), ("model", labels.model), ("provider", labels.provider)]
                CoreMetrics.Counter(label: "providerd_usage_requests_total", dimensions: series, factory: factory).increment(by: Int(totals.requests))
                FloatingPointCounter(label: "providerd_usage_cost_usd_total", dimensions: series, factory: factory)
                    .increment(by: Double("\(totals.cost)") ?? 0)
                if totals.unpricedRequests > 0 {
                    CoreMetrics.Counter(label: "providerd_usage_unpriced_requests_total", dimensions: series, factory: factory)
                        .increment(by: Int(totals.unpricedRequests))
                }
                let uncached = max(0, totals.inputTokens - totals.cacheReadTokens - totals.cacheWriteTokens)
                for (type, count) in [
                    ("input", uncached), ("output", totals.outputTokens), ("cache_read", totals.cacheReadTokens),
                    ("cache_write", totals.cacheWriteTokens),
                ] {
                    CoreMetrics.Counter(label: "providerd_usage_tokens_total", dimensions: series + [("token_type", type)], factory: factory)
                        .increment(by: Int(count))
                }
            }
        }
    }

    /// A threshold event this process announced.
    package func announced(budget: String) {
        state.withLock { state in
            CoreMetrics.Counter(label: "providerd_budget_threshold_events_total", dimensions: [("budget", budget)], factory: factory).increment()
        }
    }

    /// The gauges brought up to date, then the whole exposition text.
    package func text(now: Double = UTCTimestamp.now()) -> String {
        state.withLock { state in
            let current = stats.current
            let delta = [
                ("accepted", current.accepted - state.exported.accepted), ("refused", current.refused - state.exported.refused),
                ("duplicate", current.duplicates - state.exported.duplicates),
            ]
            for (outcome, count) in delta where count > 0 {
                CoreMetrics.Counter(label: "providerd_usage_records_total", dimensions: [("outcome", outcome)], factory: factory)
                    .increment(by: Int(count))
            }
            state.exported = (current.accepted, current.refused, current.duplicates)
            gauge("providerd_spool_bytes").record(current.spooledBytes)
            gauge("providerd_last_flush_timestamp_seconds").record(current.lastFlush ?? 0)
            if let status = reporter?.status {
                gauge("providerd_config_generation").record(status.generation)
                gauge("providerd_database_last_contact_timestamp_seconds").record(status.lastContact ?? 0)
                gauge("providerd_config_stale").record(status.staleSince == nil ? 0 : 1)
                gauge("providerd_degraded_providers").record(status.degradedProviders.count)
            }
            if let budgets {
                gauge("providerd_budget_spend_age_seconds").record(now - (budgets.asOf ?? startedAt))
                updateBudgets(budgets.statuses(now: now), state: &state)
            }
        }
        return registry.emitToString()
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)] = []) -> CoreMetrics.Gauge {
        CoreMetrics.Gauge(label: label, dimensions: dimensions, factory: factory)
    }

    private func updateBudgets(_ statuses: [BudgetStatus], state: inout State) {
        var seen: Set<String> = []
        for status in statuses where status.budget.isActive {
            let name = status.budget.name
            seen.insert(name)
            let labels = [("budget", name)]
            let gauges = [
                gauge("providerd_budget_limit_usd", labels), gauge("providerd_budget_spent_usd", labels),
                gauge("providerd_budget_resets_at_timestamp_seconds", labels), gauge("providerd_budget_exceeded", labels),
            ]
            gauges[0].record(Double("\(status.budget.limit)") ?? 0)
            gauges[1].record(Double("\(status.spent)") ?? 0)
            gauges[2].record(status.resetsAt)
            gauges[3].record(status.state == .exceeded ? 1 : 0)
            state.budgetGauges[name] = gauges
        }
        // A budget deleted or disabled: its series go.
        for (name, gauges) in state.budgetGauges where !seen.contains(name) {
            for gauge in gauges { gauge.destroy() }
            state.budgetGauges[name] = nil
        }
    }
}
