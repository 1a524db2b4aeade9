import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Every setting of the README's "Configuration" section, validated. Built by
/// `SettingsLoader` from flags, environment and the YAML file (in that order of
/// precedence); a value that does not parse is an error naming the key and where
/// it came from.
package struct ProviderdSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    package var databaseURL: String?
    package var listenURL: String?
    package var keyFile: String?
    package var envFile = "/run/providerd/providers.env"
    package var modelMap = "/run/providerd/models.json"
    package var modelMapMode: mode_t = 0o644
    package var outputOwner: uid_t?
    package var outputGroup: gid_t?
    package var envNameOverrides: [String: String] = [:]
    package var stateDir = "/var/lib/providerd"
    /// Seconds between polls (±10% jitter).
    package var pollInterval = 30.0
    /// Seconds to wait for a first render with no database and no sealed state.
    package var startupWait = 300.0
    package var socket = "/run/providerd/usage.sock"
    package var socketMode: mode_t = 0o660
    package var socketGroup: gid_t?
    package var allowUIDs: [uid_t] = []
    package var allowGIDs: [gid_t] = []
    package var flushInterval = 2.0
    package var spoolMaxBytes = 1 << 30
    package var idWindow = 86_400.0
    package var timestampWindow = 604_800.0
    package var maxLineBytes = 4 << 20
    package var stopFlushTimeout = 10.0
    /// Connections served at once; more are answered with an error and closed
    /// (each holds a descriptor and up to `maxLineBytes` of buffer).
    package var maxConnections = 1_024
    /// Seconds a connection may stay silent with nothing owed to it before it is closed.
    package var idleTimeout = 600.0
    package var pricesFile: String?
    package var unknownPrice = UnknownPricePolicy.seedFallback
    package var logLevel = Logger.Level.info
    /// A `block` budget refuses while its spend is stale (the database unreadable).
    package var budgetsFailClosed = false
    /// A `block` budget refuses models the price table does not know.
    package var budgetsBlockUnpriced = false
    /// Seconds between reads of every host's spend from the database.
    package var budgetsRefreshInterval = 1.0
    /// Seconds without a successful read after which the spend is stale.
    package var budgetsStaleAfter = 10.0
    /// `budgets.on_event`: run at each threshold event this host announces.
    package var budgetsOnEvent: BudgetHook?
    /// `metrics.textfile`: where the Prometheus text goes (node_exporter's textfile
    /// collector); nil: only the socket's `metrics` op.
    package var metricsTextfile: String?
    /// Seconds between writes of `metricsTextfile`.
    package var metricsInterval = 5.0
    /// `dashboard.*`: the management API (`providerd dashboard`).
    package var dashboard = DashboardSettings()

    package enum UnknownPricePolicy: String, Sendable, Equatable {
        case seedFallback = "seed-fallback"
        case zero
    }

    package init() {}

    package var budgetPolicy: BudgetVerdict.Policy {
        BudgetVerdict.Policy(failClosed: budgetsFailClosed, blockUnpriced: budgetsBlockUnpriced)
    }

    /// Connection options for the main connection (`database.url`).
    package var connectionOptions: ConnectionOptions { ConnectionOptions(conninfo: databaseURL) }
    /// Connection options for LISTEN (`database.listen_url`, else `database.url`):
    /// transaction poolers do not deliver notifications.
    package var listenConnectionOptions: ConnectionOptions { ConnectionOptions(conninfo: listenURL ?? databaseURL) }

    /// The settings as they may be logged: database URLs without their password.
    /// (A default reflection of this struct would print `database.url` whole.)
    package var description: String {
        "ProviderdSettings(database.url: \(PostgresConnection.redacted(databaseURL)), database.listen_url: "
            + "\(listenURL.map { PostgresConnection.redacted($0) } ?? "-"), state.dir: \(stateDir), usage.socket: \(socket))"
    }

    package var debugDescription: String { description }
}
