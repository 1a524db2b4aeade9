import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Every setting of the README's "Configuration" section, validated. Built by
/// `SettingsLoader` from flags, environment and the YAML file (in that order of
/// precedence); a value that does not parse is an error naming the key and where
/// it came from.
public struct ProviderdSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var databaseURL: String?
    public var listenURL: String?
    public var keyFile: String?
    public var envFile = "/run/providerd/providers.env"
    public var modelMap = "/run/providerd/models.json"
    public var modelMapMode: mode_t = 0o644
    public var outputOwner: uid_t?
    public var outputGroup: gid_t?
    public var envNameOverrides: [String: String] = [:]
    public var stateDir = "/var/lib/providerd"
    /// Seconds between polls (±10% jitter).
    public var pollInterval = 30.0
    /// Seconds to wait for a first render with no database and no sealed state.
    public var startupWait = 300.0
    public var socket = "/run/providerd/usage.sock"
    public var socketMode: mode_t = 0o660
    public var socketGroup: gid_t?
    public var allowUIDs: [uid_t] = []
    public var allowGIDs: [gid_t] = []
    public var flushInterval = 2.0
    public var spoolMaxBytes = 1 << 30
    public var idWindow = 86_400.0
    public var timestampWindow = 604_800.0
    public var maxLineBytes = 4 << 20
    public var stopFlushTimeout = 10.0
    /// Connections served at once; more are answered with an error and closed
    /// (each holds a descriptor and up to `maxLineBytes` of buffer).
    public var maxConnections = 1_024
    /// Seconds a connection may stay silent with nothing owed to it before it is closed.
    public var idleTimeout = 600.0
    public var pricesFile: String?
    public var unknownPrice = UnknownPricePolicy.seedFallback
    public var logLevel = Logger.Level.info

    public enum UnknownPricePolicy: String, Sendable, Equatable {
        case seedFallback = "seed-fallback"
        case zero
    }

    public init() {}

    /// Connection options for the main connection (`database.url`).
    public var connectionOptions: ConnectionOptions { ConnectionOptions(conninfo: databaseURL) }
    /// Connection options for LISTEN (`database.listen_url`, else `database.url`):
    /// transaction poolers do not deliver notifications.
    public var listenConnectionOptions: ConnectionOptions { ConnectionOptions(conninfo: listenURL ?? databaseURL) }

    /// The settings as they may be logged: database URLs without their password.
    /// (A default reflection of this struct would print `database.url` whole.)
    public var description: String {
        "ProviderdSettings(database.url: \(PostgresConnection.redacted(databaseURL)), database.listen_url: "
            + "\(listenURL.map { PostgresConnection.redacted($0) } ?? "-"), state.dir: \(stateDir), usage.socket: \(socket))"
    }

    public var debugDescription: String { description }
}
