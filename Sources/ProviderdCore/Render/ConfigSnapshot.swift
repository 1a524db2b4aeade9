/// Everything one render needs, as read from the database.
public struct ConfigSnapshot: Sendable, Equatable {
    public var keys: [APIKeyRow]
    public var services: [ServiceConfig]

    public init(keys: [APIKeyRow], services: [ServiceConfig]) {
        self.keys = keys
        self.services = services
    }
}

/// One `api_keys` row as read, still encrypted.
public struct APIKeyRow: Sendable, Equatable {
    public var provider: String
    public var encryptedKey: String
    public var baseURL: String?
    /// `headers` as PostgreSQL prints jsonb, or nil.
    public var headers: String?
    public var isActive: Bool

    public init(provider: String, encryptedKey: String, baseURL: String?, headers: String?, isActive: Bool) {
        self.provider = provider
        self.encryptedKey = encryptedKey
        self.baseURL = baseURL
        self.headers = headers
        self.isActive = isActive
    }
}

/// One `model_config` row.
public struct ServiceConfig: Sendable, Equatable, Codable {
    public var service: String
    public var model: String
    public var temperature: Double?
    public var maxTokens: Int?

    public init(service: String, model: String, temperature: Double?, maxTokens: Int?) {
        self.service = service
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}
