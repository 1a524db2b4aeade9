/// Where the database is: `--database-url` (no password allowed: argv is readable
/// by every user), else `DATABASE_URL`, else libpq's own defaults (`PG*`,
/// `~/.pgpass`, service files).
package enum DatabaseSettings {
    package static func connectionOptions(flag: String?, environment: [String: String]) throws -> ConnectionOptions {
        if let flag {
            return ConnectionOptions(conninfo: try checkedFlag(flag, name: "--database-url"))
        }
        if let url = environment["DATABASE_URL"], !url.isEmpty {
            return ConnectionOptions(conninfo: url)
        }
        return ConnectionOptions(conninfo: nil)
    }

    /// A connection string given on the command line, refused when it carries a
    /// password: every user can read a process's arguments.
    package static func checkedFlag(_ value: String, name: String) throws -> String {
        if try PostgresConnection.conninfoHasPassword(value) {
            throw ConfigurationError(
                "\(name) must not contain a password (every user can read a process's arguments); "
                    + "put it in DATABASE_URL, ~/.pgpass or PGPASSFILE instead")
        }
        return value
    }
}
