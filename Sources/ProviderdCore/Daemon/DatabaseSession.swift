/// The daemon's connections while the database is reachable: one for reads and,
/// when `database.listen_url` differs (a transaction pooler in front), a direct
/// one for LISTEN. Not `Sendable`: it stays inside `ConfigRenderService`, on that
/// actor's own thread.
final class DatabaseSession {
    let queries: PostgresConnection
    let listener: PostgresConnection
    /// Whether a NOTIFY of providerd's own, sent through the query connection, came
    /// back on the listener within `probeTimeout`. Behind a transaction pooler
    /// (PgBouncer `pool_mode = transaction`, Supabase's port 6543) LISTEN is
    /// accepted and delivers nothing: then changes are seen at the next poll only.
    let listenVerified: Bool

    static let probeTimeout: Duration = .seconds(1)

    /// `probeListen` false (a one-shot render, which never waits for a NOTIFY)
    /// skips the probe; `listenVerified` is then false.
    init(settings: ProviderdSettings, probeListen: Bool = true) throws(PostgresError) {
        queries = try PostgresConnection(settings.connectionOptions)
        if settings.listenURL == nil || settings.listenURL == settings.databaseURL {
            listener = queries
        } else {
            listener = try PostgresConnection(settings.listenConnectionOptions)
        }
        try listener.query("LISTEN providerd_config")
        listenVerified = probeListen ? try Self.probe(settings: settings, listener: listener) : false
    }

    /// Sends one notification from a connection of its own, as a change made by
    /// anyone else would come, and waits for it on the listener. (From the listener's
    /// own connection it would come back even through a pooler: PostgreSQL delivers
    /// a session's own NOTIFY before the transaction's end.) Its arrival, or any
    /// other on the channel, proves delivery; the full render that follows a new
    /// session reads everything anyway.
    static func probe(settings: ProviderdSettings, listener: PostgresConnection) throws(PostgresError) -> Bool {
        try PostgresConnection(settings.connectionOptions).query("SELECT pg_notify('providerd_config', 'providerd-listen-probe')")
        let deadline = ContinuousClock.now + probeTimeout
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            if case .notified = try listener.waitForNotifications(timeout: left, wakeDescriptor: -1) { return true }
        }
        return false
    }
}
