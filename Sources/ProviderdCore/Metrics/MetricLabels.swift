/// Label values for usage metrics, bounded: a label set is a time series that
/// lives as long as the process (LiteLLM's proxy grew without bound on free-form
/// labels). Models the price table does not know are `other` (agents may send any
/// string); the first `maxServices` services keep their names, later ones are
/// `other`; past `maxSeries` (service, model) pairs, new ones are all `other`.
/// A value type; `ProviderdMetrics` keeps it behind its lock.
package struct MetricLabels: Sendable {
    package static let maxServices = 200
    package static let maxSeries = 2_000
    package static let other = "other"

    private var services: Set<String> = []
    private var series: Set<Pair> = []

    private struct Pair: Hashable {
        var service: String
        var model: String
    }

    package init() {}

    /// The labels a (service, model) pair is counted under. `priced`: whether the
    /// price table knows the model.
    package mutating func labels(service: String, model: String, priced: Bool) -> (service: String, model: String, provider: String) {
        var service = service
        if !services.contains(service) {
            if services.count < Self.maxServices { services.insert(service) } else { service = Self.other }
        }
        let modelLabel = priced ? model : Self.other
        let provider = priced ? Self.provider(ModelString.split(model)?.provider ?? model) : Self.other
        let pair = Pair(service: service, model: modelLabel)
        if !series.contains(pair) {
            guard series.count < Self.maxSeries else { return (Self.other, Self.other, Self.other) }
            series.insert(pair)
        }
        return (service, modelLabel, provider)
    }

    /// OpenTelemetry's `gen_ai.provider.name` for PydanticAI's provider prefixes
    /// where it has one; otherwise the prefix itself (a priced model's provider,
    /// so a bounded set).
    package static func provider(_ prefix: String) -> String {
        switch prefix {
        case "openai", "openai-chat", "openai-responses": return "openai"
        case "anthropic": return "anthropic"
        case "google", "gemini", "google-gla": return "gcp.gemini"
        case "google-vertex": return "gcp.vertex_ai"
        case "mistral": return "mistral_ai"
        case "groq": return "groq"
        case "cohere": return "cohere"
        case "deepseek": return "deepseek"
        case "xai", "grok", "x-ai": return "x_ai"
        case "bedrock": return "aws.bedrock"
        case "azure": return "azure.ai.openai"
        case "perplexity": return "perplexity"
        default: return prefix
        }
    }
}
