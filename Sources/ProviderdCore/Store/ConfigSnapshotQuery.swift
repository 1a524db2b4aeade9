/// Reads `api_keys` and `model_config` for rendering, and the cheap change check
/// the poll uses (`providerd_config_version`, bumped by migration 002's trigger).
package enum ConfigSnapshotQuery {
    /// Both tables and the version in one consistent read. A NULL where the seed's
    /// schema has NOT NULL reads as missing (nil, or an empty name or model), so
    /// that the renderer refuses that one row rather than the whole read failing.
    ///
    /// `api_keys` comes in no particular order: the renderer orders providers
    /// itself, and sorting a thousand rows under the database's collation is
    /// half of this read's time in the server.
    package static func read(on connection: PostgresConnection) throws -> (snapshot: ConfigSnapshot, version: Int64?) {
        // One round trip: an agent waits on this read after every change.
        let results: [PostgresResult]
        do {
            results = try connection.queries(
                ["BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", versionSQL, keysSQL, servicesSQL, "COMMIT"].joined(separator: ";\n"))
        } catch {
            _ = try? connection.query("ROLLBACK")
            throw error
        }
        guard results.count == 5 else {
            throw PostgresError(kind: .statement, message: "the snapshot read returned \(results.count) results, not 5")
        }
        let version = try results[1].rows.first?.optionalInt("version").map(Int64.init)
        let keys = try results[2].rows.map { row throws(PostgresError) in
            APIKeyRow(
                provider: try row.string("provider"), encryptedKey: try row.optionalString("encrypted_key"),
                baseURL: try row.optionalString("base_url"), headers: try row.optionalString("headers"),
                isActive: try row.optionalBool("is_active") ?? false)
        }
        let services = try results[3].rows.map { row throws(PostgresError) in
            ServiceConfig(
                service: try row.string("service_name"), model: try row.string("model_string"),
                temperature: try row.optionalDouble("temperature"), maxTokens: try row.optionalInt("max_tokens"))
        }
        return (ConfigSnapshot(keys: keys, services: services), version)
    }

    private static let keysSQL = """
        SELECT COALESCE(provider, '') AS provider, encrypted_key, base_url, headers::text AS headers,
            COALESCE(is_active, false) AS is_active
        FROM public.api_keys
        """

    private static let servicesSQL = """
        SELECT COALESCE(service_name, '') AS service_name, COALESCE(model_string, '') AS model_string,
            temperature, max_tokens
        FROM public.model_config ORDER BY service_name
        """

    private static let versionSQL = """
        SELECT CASE WHEN to_regclass('public.providerd_config_version') IS NULL THEN NULL
                    ELSE (SELECT version FROM public.providerd_config_version WHERE id = 1) END AS version
        """

    package static func version(on connection: PostgresConnection) throws(PostgresError) -> Int64? {
        let result = try connection.query(versionSQL)
        return try result.rows.first?.optionalInt("version").map(Int64.init)
    }
}
