/// One `api_keys` row as `keys list` shows it: never the key, only a fingerprint.
package struct APIKeyListing: Sendable, Codable, Equatable {
    package var provider: String
    package var active: Bool
    package var baseURL: String?
    /// Header names only: header values may be credentials too.
    package var headerNames: [String]
    package var updatedAt: String?
    /// Who made the last change through the dashboard (migration 004); nil otherwise.
    package var updatedBy: String?
    /// First 8 hex digits of SHA-256 over the decrypted key; `-` when no encryption
    /// key is configured, `undecryptable` when no configured key opens the token.
    package var fingerprint: String
    /// Id of the encryption key that opened the token, when one did.
    package var keyID: String?

    enum CodingKeys: String, CodingKey {
        case provider, active, fingerprint
        case baseURL = "base_url"
        case headerNames = "header_names"
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
        case keyID = "key_id"
    }
}
