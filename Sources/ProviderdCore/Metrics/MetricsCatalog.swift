import CoreMetrics
import Prometheus

/// Every metric providerd exports, with its help text: the one list a name may
/// come from. `CatalogMetricsFactory` hands swift-metrics' `Counter`, `Gauge` and
/// `FloatingPointCounter` to the code, backed by a swift-prometheus registry that
/// writes each family's `# HELP` and `# TYPE` (swift-prometheus's own swift-metrics
/// factory writes no help text, which `promtool check metrics` objects to).
package enum MetricsCatalog {
    package static let help: [String: String] = [
        "providerd_usage_records_total": "Usage records received on the socket, by outcome (accepted, refused, duplicate).",
        "providerd_usage_requests_total": "Model requests flushed to model_usage by this process.",
        "providerd_usage_cost_usd_total": "Cost in USD flushed to model_usage by this process (genai-prices; unpriced models by prices.unknown).",
        "providerd_usage_tokens_total":
            "Tokens flushed to model_usage by this process; token_type input is input not read from or written to a cache.",
        "providerd_usage_unpriced_requests_total": "Requests whose model has no price, flushed by this process.",
        "providerd_spool_bytes": "Bytes of acknowledged usage waiting in the spool.",
        "providerd_last_flush_timestamp_seconds": "Unix time of the last successful flush (0: none since start).",
        "providerd_budget_spend_age_seconds": "Seconds since budget spend was last read from the database.",
        "providerd_config_generation": "Generation of the env file and model map.",
        "providerd_database_last_contact_timestamp_seconds": "Unix time the render loop last read the database (0: not since start).",
        "providerd_config_stale": "1 while the files come from the sealed state or the database is unreachable.",
        "providerd_degraded_providers": "Providers whose current api_keys row could not be used.",
        "providerd_budget_limit_usd": "A budget's limit in USD.",
        "providerd_budget_spent_usd": "A budget's spend in its current period, this host's unflushed records included.",
        "providerd_budget_resets_at_timestamp_seconds": "Unix time a budget's current period ends.",
        "providerd_budget_exceeded": "1 while a budget's spend has reached its limit.",
        "providerd_budget_threshold_events_total": "Budget threshold events this process announced.",
    ]
}

/// swift-metrics' factory over one `PrometheusCollectorRegistry`, naming each
/// metric from `MetricsCatalog` (with its help text). A label missing from the
/// catalog is a programming error.
package struct CatalogMetricsFactory: MetricsFactory {
    package let registry: PrometheusCollectorRegistry

    package init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    private func descriptor(_ label: String) -> MetricNameDescriptor {
        guard let help = MetricsCatalog.help[label] else { preconditionFailure("metric \(label) is not in MetricsCatalog") }
        return MetricNameDescriptor(metricName: label, unitName: "", helpText: help)
    }

    package func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(descriptor: descriptor(label), labels: dimensions)
    }

    package func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        preconditionFailure("providerd exports no timers")
    }

    package func destroyCounter(_ handler: any CounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    package func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
        if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
    }

    package func destroyRecorder(_ handler: any RecorderHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    package func destroyMeter(_ handler: any MeterHandler) {
        if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
    }

    package func destroyTimer(_ handler: any TimerHandler) {}
}
