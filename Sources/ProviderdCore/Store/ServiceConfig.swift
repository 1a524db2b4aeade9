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
