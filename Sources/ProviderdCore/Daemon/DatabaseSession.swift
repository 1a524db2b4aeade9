/// The daemon's connections while the database is reachable: one for reads and,
/// when `database.listen_url` differs (a transaction pooler in front), a direct
/// one for LISTEN. Used from the render loop's dedicated thread only.
final class DatabaseSession: Sendable {
    let queries: PostgresConnection
    let listener: PostgresConnection

    init(settings: ProviderdSettings) throws(PostgresError) {
        queries = try PostgresConnection(settings.connectionOptions)
        if settings.listenURL == nil || settings.listenURL == settings.databaseURL {
            listener = queries
        } else {
            listener = try PostgresConnection(settings.listenConnectionOptions)
        }
        try listener.query("LISTEN providerd_config")
    }
}
