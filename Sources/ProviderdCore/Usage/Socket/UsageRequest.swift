/// What one line of the usage socket asks for.
package enum UsageRequest: Sendable, Equatable {
    case record(UsageRecord)
    /// A JSON array of records: all accepted or none.
    case batch([UsageRecord])
    case ping
    case stats
    /// Whether `service` may call `model` now, and every budget that applies.
    case budget(service: String, model: String)
    /// The Prometheus text of `metrics.textfile`, made now.
    case metrics
}
