/// The seed's ModelConfigService defaults: the model a service uses while
/// `model_config` has no row for it.
package enum ServiceDefaults {
    package static let temperature = 0.7

    /// The nine default services, in the seed's order.
    package static let models: [(service: String, model: String)] = [
        ("rag_agent", "openai:gpt-4o-mini"),
        ("document_agent", "openai:gpt-4o"),
        ("task_agent", "openai:gpt-4o"),
        ("embeddings", "openai:text-embedding-3-small"),
        ("contextual_embedding", "openai:gpt-4o-mini"),
        ("source_summary", "openai:gpt-4o-mini"),
        ("code_summary", "openai:gpt-4o-mini"),
        ("code_analysis", "openai:gpt-4o-mini"),
        ("validation", "openai:gpt-3.5-turbo"),
    ]

    /// The model for any service without a row, default or not.
    package static let fallbackModel = "openai:gpt-4o-mini"

    package static func model(for service: String) -> String {
        models.first { $0.service == service }?.model ?? fallbackModel
    }
}
