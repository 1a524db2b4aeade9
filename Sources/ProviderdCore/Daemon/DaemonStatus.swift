/// The one-line STATUS= summary systemd shows in `systemctl status`.
package struct DaemonStatus: Sendable, Equatable {
    package var generation = 0
    package var providers = 0
    package var services = 0
    /// Unix seconds of the last successful read of the database.
    package var lastContact: Double?
    /// Set while the files come from the sealed state or the database is unreachable.
    package var staleSince: Double?
    package var databaseError: String?
    /// Providers whose current row could not be used.
    package var degradedProviders: [String] = []
    /// The usage half's summary (spooled, flushed, quarantined), from the flusher.
    package var usage: String?
    /// LISTEN delivers nothing on this connection (a transaction pooler): changes
    /// are seen at the next poll only.
    package var pollingOnly = false
    /// Why the last publish failed, until files are written again.
    package var filesError: String?
    /// Providers rendered before `api_keys` showed no rows (nil while it shows rows).
    package var vanishedProviders: Int?
    /// Providers whose key a `withhold_key` budget keeps out of the env file, and that budget.
    package var withheldProviders: [String: String] = [:]
    /// Budgets past their limit, and those past a lower threshold.
    package var exceededBudgets: [String] = []
    package var warningBudgets: [String] = []
    /// The last threshold event this process announced ("name threshold at time").
    package var lastBudgetEvent: String?

    package init() {}

    package var line: String {
        var parts = ["generation \(generation): \(providers) provider\(providers == 1 ? "" : "s"), \(services) services"]
        if let staleSince {
            parts.append("STALE since \(Self.timestamp(staleSince))")
        }
        if let databaseError {
            parts.append("database unreachable: \(databaseError)")
        } else if let lastContact {
            parts.append("database ok at \(Self.timestamp(lastContact))")
        }
        if pollingOnly {
            parts.append("polling only: LISTEN gets no notifications (set database.listen_url to a direct connection)")
        }
        if let vanishedProviders {
            parts.append("WARNING api_keys shows no rows (\(vanishedProviders) providers before): a row-level security policy or grant may hide them")
        }
        if !degradedProviders.isEmpty {
            parts.append("degraded: \(degradedProviders.joined(separator: ", "))")
        }
        if !withheldProviders.isEmpty {
            let list = withheldProviders.sorted { $0.key < $1.key }.map { "\($0.key) (budget \($0.value))" }
            parts.append("key withheld: \(list.joined(separator: ", "))")
        }
        if !exceededBudgets.isEmpty || !warningBudgets.isEmpty {
            var budgets: [String] = []
            if !exceededBudgets.isEmpty { budgets.append("exceeded \(exceededBudgets.joined(separator: ", "))") }
            if !warningBudgets.isEmpty { budgets.append("warning \(warningBudgets.joined(separator: ", "))") }
            parts.append("budgets: \(budgets.joined(separator: "; "))")
        }
        if let lastBudgetEvent { parts.append("last budget event: \(lastBudgetEvent)") }
        if let usage { parts.append(usage) }
        if let filesError { parts.append("cannot write files: \(filesError)") }
        return parts.joined(separator: "; ")
    }

    static func timestamp(_ seconds: Double) -> String {
        UTCTimestamp.iso8601(seconds)
    }
}
