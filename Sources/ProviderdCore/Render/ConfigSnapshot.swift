/// Everything one render needs, as read from the database.
package struct ConfigSnapshot: Sendable, Equatable {
    package var keys: [APIKeyRow]
    package var services: [ServiceConfig]

    package init(keys: [APIKeyRow], services: [ServiceConfig]) {
        self.keys = keys
        self.services = services
    }
}

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

/// One `model_config` row.
package struct ServiceConfig: Sendable, Equatable, Codable {
    package var service: String
    package var model: String
    package var temperature: Double?
    package var maxTokens: Int?

    package init(service: String, model: String, temperature: Double?, maxTokens: Int?) {
        self.service = service
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}
