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

    /// One sidecar as the management API lists it.
    package struct Instance: Sendable, Equatable, Encodable {
        package var instanceID: String
        package var hostname: String?
        package var firstSeen: String
        package var lastSeen: String
        /// Not seen for `staleAfter` seconds.
        package var stale: Bool

        enum CodingKeys: String, CodingKey {
            case hostname, stale
            case instanceID = "instance_id"
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }
    }

    /// Every sidecar, most recently seen first.
    package func list(staleAfter: Double = 600) throws(PostgresError) -> [Instance] {
        try connection.query(
            """
            SELECT instance_id::text AS id, hostname,
                   to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS first,
                   to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS last,
                   last_seen < now() - make_interval(secs => $1::float8) AS stale
            FROM public.providerd_instances ORDER BY last_seen DESC, instance_id
            """, [staleAfter]
        ).rows.map { row throws(PostgresError) in
            Instance(
                instanceID: try row.string("id"), hostname: try row.optionalString("hostname"), firstSeen: try row.string("first"),
                lastSeen: try row.string("last"), stale: try row.optionalBool("stale") ?? true)
        }
    }
}
