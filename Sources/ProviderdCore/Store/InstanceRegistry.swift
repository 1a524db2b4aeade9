/// `providerd_instances` (migration 002): one row per sidecar, by instance id,
/// with the host it runs on and when it was last seen flushing. The management
/// API lists it; the flusher keeps its own row fresh.
package struct InstanceRegistry {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Inserts or refreshes the row; returns the host name the row held before
    /// (nil for a new row), so that a second host using the same id shows.
    package func register(instance: String, hostname: String) throws(PostgresError) -> String? {
        let result = try connection.query(
            """
            WITH before AS (SELECT hostname FROM public.providerd_instances WHERE instance_id = $1::uuid)
            INSERT INTO public.providerd_instances AS i (instance_id, hostname) VALUES ($1::uuid, $2)
            ON CONFLICT (instance_id) DO UPDATE SET hostname = EXCLUDED.hostname, last_seen = now()
            RETURNING (SELECT hostname FROM before) AS before
            """,
            [instance, hostname])
        return try result.rows.first?.optionalString("before")
    }
}
