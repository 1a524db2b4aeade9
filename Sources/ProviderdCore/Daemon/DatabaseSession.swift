/// The daemon's connections while the database is reachable: one for reads and,
/// when `database.listen_url` differs (a transaction pooler in front), a direct
/// one for LISTEN. Not `Sendable`: it stays inside `ConfigRenderService`, on that
/// actor's own thread.
final class DatabaseSession {
    let queries: PostgresConnection
    let listener: PostgresConnection
    /// Whether a NOTIFY of providerd's own, sent from another session, came back on
    /// the listener within `probeTimeout`. Behind a transaction pooler (PgBouncer
    /// `pool_mode = transaction`, Supabase's port 6543) LISTEN is accepted and
    /// delivers nothing: then changes are seen at the next poll only.
    let listen: ListenDelivery

    enum ListenDelivery: Equatable {
        /// The probe came back.
        case verified
        /// Nothing came back within `probeTimeout`.
        case notDelivered
        /// Not probed: a one-shot render, or no connection could be opened to send
        /// the probe from (a role or database at its connection limit). Delivery is
        /// then assumed, and the next session probes again.
        case unchecked(String)
    }

    static let probeTimeout: Duration = .seconds(1)

    /// `probeListen` false (a one-shot render, which never waits for a NOTIFY)
    /// skips the probe; `listen` is then `unchecked`. `reusing` is a connection
    /// already open on `database.url` (`providerd check`'s own): taking it, rather
    /// than closing it and opening another, counts exactly the daemon's connections
    /// against a role's limit; PostgreSQL frees a closed connection's slot only when
    /// its backend has exited, a moment after the client let go.
    init(settings: ProviderdSettings, probeListen: Bool = true, reusing: PostgresConnection? = nil) throws(PostgresError) {
        if let reusing {
            queries = reusing
        } else {
            queries = try PostgresConnection(settings.connectionOptions)
        }
        if settings.listenURL == nil || settings.listenURL == settings.databaseURL {
            listener = queries
        } else {
            listener = try PostgresConnection(settings.listenConnectionOptions)
        }
        try listener.query("LISTEN providerd_config")
        listen = probeListen ? try Self.probe(settings: settings, queries: queries, listener: listener) : .unchecked("not probed")
    }

    /// Sends one notification from another session, as a change made by anyone else
    /// would come, and waits for it on the listener. (From the listener's own session
    /// it would come back even through a pooler: PostgreSQL delivers a session's own
    /// NOTIFY before the transaction's end.) The query connection is that other
    /// session when LISTEN has its own; otherwise a short-lived connection is opened,
    /// and if there is no room for it the session goes on unprobed: a connection
    /// limit that fits providerd's own connections must not keep it from starting.
    /// The probe's arrival, or any other on the channel, proves delivery; the full
    /// render that follows a new session reads everything anyway.
    static func probe(
        settings: ProviderdSettings, queries: PostgresConnection, listener: PostgresConnection
    ) throws(PostgresError)
        -> ListenDelivery
    {
        let notify = "SELECT pg_notify('providerd_config', 'providerd-listen-probe')"
        if listener !== queries {
            try queries.query(notify)
        } else {
            let sender: PostgresConnection
            do {
                sender = try PostgresConnection(settings.connectionOptions)
            } catch {
                return .unchecked("no connection to send the probe from: \(error)")
            }
            try sender.query(notify)
        }
        let deadline = ContinuousClock.now + probeTimeout
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            if case .notified = try listener.waitForNotifications(timeout: left, wakeDescriptor: -1) { return .verified }
        }
        return .notDelivered
    }
}
