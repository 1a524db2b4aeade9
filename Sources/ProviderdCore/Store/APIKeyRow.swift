/// One `api_keys` row as read, still encrypted.
package struct APIKeyRow: Sendable, Equatable {
    package var provider: String
    /// nil for a NULL column (a schema that lost its NOT NULL): that provider is
    /// refused, the others render.
    package var encryptedKey: String?
    package var baseURL: String?
    /// `headers` as PostgreSQL prints jsonb, or nil.
    package var headers: String?
    package var isActive: Bool

    package init(provider: String, encryptedKey: String?, baseURL: String?, headers: String?, isActive: Bool) {
        self.provider = provider
        self.encryptedKey = encryptedKey
        self.baseURL = baseURL
        self.headers = headers
        self.isActive = isActive
    }
}
