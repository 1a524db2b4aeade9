/// A service's model as `models list` shows it: a `model_config` row or a default.
package struct ServiceModel: Sendable, Codable, Equatable {
    package var service: String
    package var model: String
    package var temperature: Double
    package var maxTokens: Int?
    /// True when `model_config` has no row and the seed's default applies.
    package var isDefault: Bool
    package var updatedAt: String?
    package var updatedBy: String?

    enum CodingKeys: String, CodingKey {
        case service, model, temperature
        case maxTokens = "max_tokens"
        case isDefault = "default"
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
    }
}
