/// A setting given in a way providerd refuses (wrong value, unsafe place).
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where the database is: `--database-url` (no password allowed: argv is readable
/// by every user), else `DATABASE_URL`, else libpq's own defaults (`PG*`,
/// `~/.pgpass`, service files).
public enum DatabaseSettings {
    public static func connectionOptions(flag: String?, environment: [String: String]) throws -> ConnectionOptions {
        if let flag {
            if try PostgresConnection.conninfoHasPassword(flag) {
                throw ConfigurationError(
                    "--database-url must not contain a password (every user can read a process's arguments); "
                        + "put it in DATABASE_URL, ~/.pgpass or PGPASSFILE instead")
            }
            return ConnectionOptions(conninfo: flag)
        }
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return ConnectionOptions(conninfo: url)
        }
        return ConnectionOptions(conninfo: nil)
    }
}
