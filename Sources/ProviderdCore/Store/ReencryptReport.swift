/// What `reencrypt` did.
package struct ReencryptReport: Sendable, Codable, Equatable {
    package var rows: Int
    /// Rows that an older (non-primary) key had encrypted.
    package var fromOlderKeys: Int
    package var primaryKeyID: String

    enum CodingKeys: String, CodingKey {
        case rows
        case fromOlderKeys = "from_older_keys"
        case primaryKeyID = "primary_key_id"
    }
}
