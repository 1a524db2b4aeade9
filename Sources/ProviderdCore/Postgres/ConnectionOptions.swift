import CLibPQ

#if canImport(Glibc)
    import Glibc
#endif

/// How to reach PostgreSQL. `conninfo` is a URL (`postgresql://...`) or a
/// `key=value` string, or nil for libpq's defaults; libpq then applies `PG*`
/// variables, `~/.pgpass`, service files and `sslmode` itself.
package struct ConnectionOptions: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the password: logs (swift-service-lifecycle prints its services at
    /// debug level) and errors may show this.
    package var description: String { "ConnectionOptions(\(PostgresConnection.redacted(conninfo)))" }
    package var debugDescription: String { description }

    package var conninfo: String?
    /// Seconds to wait for a connection; a value in `conninfo` wins.
    package var connectTimeout: Int
    /// Milliseconds a statement may run before the server cancels it (0: no limit).
    package var statementTimeoutMilliseconds: Int
    package var applicationName: String

    package init(
        conninfo: String?, connectTimeout: Int = 10, statementTimeoutMilliseconds: Int = 30_000,
        applicationName: String = "providerd"
    ) {
        self.conninfo = conninfo
        self.connectTimeout = connectTimeout
        self.statementTimeoutMilliseconds = statementTimeoutMilliseconds
        self.applicationName = applicationName
    }
}
