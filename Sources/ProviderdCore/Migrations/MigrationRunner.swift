import Logging

/// Applies the embedded migrations in order, each in its own transaction, once.
///
/// Many hosts may run `providerd migrate` at once (e.g. as ExecStartPre), so the
/// whole run holds a session-level advisory lock; the others wait, then find
/// nothing left to do.
package struct MigrationRunner: Sendable {
    /// `pg_advisory_lock` key: "providerd" as ASCII in the low bytes.
    package static let advisoryLockKey: Int64 = 0x7072_6F76_6964_6572

    package let migrations: [Migration]
    let logger: Logger

    package init(migrations: [Migration] = Migration.all, logger: Logger) {
        self.migrations = migrations
        self.logger = logger
    }

    package func run(on connection: PostgresConnection) throws -> [MigrationOutcome] {
        try connection.query("SELECT pg_advisory_lock($1)", [Self.advisoryLockKey])
        defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", [Self.advisoryLockKey]) }

        try connection.query(
            """
            CREATE TABLE IF NOT EXISTS public.providerd_migrations (
                version TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                checksum TEXT NOT NULL,
                adopted BOOLEAN NOT NULL DEFAULT false,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
            )
            """)
        try connection.query("ALTER TABLE public.providerd_migrations ENABLE ROW LEVEL SECURITY")
        let recorded = try connection.query("SELECT version, checksum FROM public.providerd_migrations")
        var applied: [String: String] = [:]
        for row in recorded.rows {
            applied[try row.string("version")] = try row.string("checksum")
        }

        var outcomes: [MigrationOutcome] = []
        for migration in migrations {
            if let checksum = applied[migration.version] {
                if checksum != migration.checksum {
                    logger.warning(
                        "migration was applied from a different file",
                        metadata: [
                            "migration": "\(migration.name)", "recorded": "\(checksum)", "embedded": "\(migration.checksum)",
                        ])
                }
                outcomes.append(MigrationOutcome(migration: migration.name, action: .alreadyApplied))
                continue
            }
            if migration.version == "001", try seedSchemaPresent(on: connection) {
                try record(migration, adopted: true, on: connection)
                logger.info("found the seed schema applied by hand; recorded it", metadata: ["migration": "\(migration.name)"])
                outcomes.append(MigrationOutcome(migration: migration.name, action: .adopted))
                continue
            }
            try connection.transaction { connection in
                try connection.runScript(migration.sql)
                try record(migration, adopted: false, on: connection)
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.name)"])
            outcomes.append(MigrationOutcome(migration: migration.name, action: .applied))
        }
        return outcomes
    }

    /// True when the seed's three tables exist (001 was run with psql, by us or by
    /// the Python project), so 001 must not run again.
    func seedSchemaPresent(on connection: PostgresConnection) throws(PostgresError) -> Bool {
        let result = try connection.query(
            """
            SELECT to_regclass('public.model_config') IS NOT NULL
               AND to_regclass('public.api_keys') IS NOT NULL
               AND to_regclass('public.model_usage') IS NOT NULL AS present
            """)
        return try result.rows.first?.optionalBool("present") ?? false
    }

    func record(_ migration: Migration, adopted: Bool, on connection: PostgresConnection) throws(PostgresError) {
        try connection.query(
            "INSERT INTO public.providerd_migrations (version, name, checksum, adopted) VALUES ($1, $2, $3, $4)",
            [migration.version, migration.name, migration.checksum, adopted])
    }

    /// Versions recorded as applied, for `check`.
    package static func appliedVersions(on connection: PostgresConnection) throws(PostgresError) -> [String] {
        let exists = try connection.query("SELECT to_regclass('public.providerd_migrations') IS NOT NULL AS present")
        guard try exists.rows.first?.optionalBool("present") == true else { return [] }
        return try connection.query("SELECT version FROM public.providerd_migrations ORDER BY version").rows
            .map { row throws(PostgresError) in try row.string("version") }
    }
}
