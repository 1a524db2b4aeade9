/// One SQL file from the top-level `migrations/` folder, embedded in the binary at
/// build time (see `Plugins/EmbedResourcesPlugin`).
package struct Migration: Sendable, Equatable {
    /// The numeric prefix, e.g. `001`.
    package let version: String
    /// The file name, e.g. `001_simplified_schema.sql`.
    package let name: String
    package let sql: String
    /// First 16 hex digits of SHA-256 over the file, recorded when applied so that an
    /// edited migration is noticed.
    package var checksum: String {
        let digest = OpenSSL.sha256(Array(sql.utf8))
        return Hex.encode(digest.prefix(8))
    }

    /// Every embedded migration, ordered by version.
    package static var all: [Migration] {
        EmbeddedResources.files
            .filter { $0.key.hasPrefix("migrations/") && $0.key.hasSuffix(".sql") }
            .map { path, sql in
                let name = String(path.dropFirst("migrations/".count))
                let version = String(name.prefix { $0.isNumber })
                return Migration(version: version, name: name, sql: sql)
            }
            .sorted { $0.name < $1.name }
    }
}
