#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One service in `models.json`.
package struct ModelMapEntry: Sendable, Equatable {
    package var model: String
    package var provider: String
    package var modelName: String
    package var temperature: Double
    package var maxTokens: Int?
    package var apiKeyConfigured: Bool
    /// The state of the budgets that apply to this service and model; absent when none does.
    package var budget: ServiceBudgetState?

    /// Key providers that serve a model provider, PydanticAI's aliases included:
    /// `google-gla:` and `google-vertex:` models run on a `google` or `gemini` key.
    static func keyProviders(for modelProvider: String) -> [String] {
        switch modelProvider {
        case "google", "gemini", "google-gla", "google-vertex", "google-cloud": return ["google", "gemini"]
        case "openai", "openai-chat", "openai-responses": return ["openai"]
        case "xai", "grok", "x-ai": return ["xai", "grok"]
        default: return [modelProvider]
        }
    }

    /// Configured services plus the seed's default services the table lacks. A row
    /// whose temperature is not a finite number cannot be written as JSON: it is
    /// left out here and named in `unwritable`; the renderer then keeps that
    /// service's last good entry, if it has one.
    static func entries(
        for services: [ServiceConfig], providersWithKeys: Set<String>,
        unwritable: inout [ServiceProblem]
    ) -> [String: ModelMapEntry] {
        var all: [String: (model: String, temperature: Double, maxTokens: Int?)] = [:]
        for (service, model) in ServiceDefaults.models {
            all[service] = (model, ServiceDefaults.temperature, nil)
        }
        for config in services {
            guard !config.service.isEmpty, !config.model.isEmpty else {
                let reason = config.service.isEmpty ? "service_name is NULL or empty" : "model_string is NULL or empty"
                unwritable.append(ServiceProblem(service: config.service, reason: reason))
                continue
            }
            let temperature = config.temperature ?? ServiceDefaults.temperature
            guard temperature.isFinite else {
                all.removeValue(forKey: config.service)
                unwritable.append(ServiceProblem(service: config.service, reason: "temperature is \(temperature), which JSON cannot carry"))
                continue
            }
            all[config.service] = (config.model, temperature, config.maxTokens)
        }
        return all.mapValues { value in
            let parts = ModelString.split(value.model)
            let provider = parts?.provider ?? value.model
            let name = parts?.model ?? ""
            return ModelMapEntry(
                model: value.model, provider: provider, modelName: name, temperature: value.temperature,
                maxTokens: value.maxTokens,
                apiKeyConfigured: keyProviders(for: provider).contains { providersWithKeys.contains($0) })
        }
    }

    /// models.json: pretty, keys sorted, newline-terminated; identical input gives
    /// identical bytes (those JSONSerialization wrote before: `ModelMapFormatTests`
    /// compares the two). `generation` nil renders the content the digest covers.
    static func render(services: [String: ModelMapEntry], generation: Int?) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Only a non-finite number can make this fail, and `entries` lets none in.
        do {
            let data = try encoder.encode(Document(generation: generation, services: services))
            return String(decoding: data, as: UTF8.self) + "\n"
        } catch {
            preconditionFailure("models.json could not be encoded: \(error)")
        }
    }

    /// The file's shape: `generation` only when given, `max_tokens` always (null
    /// when unset).
    private struct Document: Encodable {
        var generation: Int?
        var services: [String: ModelMapEntry]
    }
}

extension ModelMapEntry: Encodable {
    private enum CodingKeys: String, CodingKey {
        case model, provider, temperature
        case modelName = "model_name"
        case maxTokens = "max_tokens"
        case apiKeyConfigured = "api_key_configured"
        case budget
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(model, forKey: .model)
        try container.encode(provider, forKey: .provider)
        try container.encode(modelName, forKey: .modelName)
        try container.encode(temperature, forKey: .temperature)
        try container.encode(maxTokens, forKey: .maxTokens)
        try container.encode(apiKeyConfigured, forKey: .apiKeyConfigured)
        try container.encodeIfPresent(budget, forKey: .budget)
    }
}
