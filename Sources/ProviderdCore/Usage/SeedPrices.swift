import Foundation

/// The Python UsageTracker's price table (USD per 1,000 tokens, input / output),
/// and its fallback for unknown models (0.001 / 0.002). Until the genai-prices
/// table lands, providerd prices with these; afterwards they remain the layer for
/// models genai-prices lacks.
public struct SeedPrices: Sendable {
    public struct Price: Sendable, Equatable {
        public var inputPer1K: Decimal
        public var outputPer1K: Decimal
    }

    public enum UnknownPolicy: Sendable { case seedFallback, zero }

    static func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    static let table: [String: Price] = {
        var prices: [String: Price] = [:]
        func add(_ provider: String, _ model: String, _ input: String, _ output: String) {
            prices["\(provider):\(model)"] = Price(inputPer1K: d(input), outputPer1K: d(output))
        }
        add("openai", "gpt-4o", "0.0025", "0.01")
        add("openai", "gpt-4o-mini", "0.00015", "0.0006")
        add("openai", "gpt-4-turbo", "0.01", "0.03")
        add("openai", "gpt-4", "0.03", "0.06")
        add("openai", "gpt-3.5-turbo", "0.0005", "0.0015")
        add("openai", "text-embedding-3-small", "0.00002", "0")
        add("openai", "text-embedding-3-large", "0.00013", "0")
        add("openai", "text-embedding-ada-002", "0.0001", "0")
        add("anthropic", "claude-3-opus-20240229", "0.015", "0.075")
        add("anthropic", "claude-3-sonnet-20240229", "0.003", "0.015")
        add("anthropic", "claude-3-haiku-20240307", "0.00025", "0.00125")
        add("anthropic", "claude-2.1", "0.008", "0.024")
        add("anthropic", "claude-2", "0.008", "0.024")
        for provider in ["gemini", "google"] {
            add(provider, "gemini-1.5-pro", "0.00125", "0.005")
            add(provider, "gemini-1.5-flash", "0.000075", "0.0003")
        }
        add("gemini", "gemini-pro", "0.0005", "0.0015")
        add("groq", "llama-3.1-70b-versatile", "0.00059", "0.00079")
        add("groq", "llama-3.1-8b-instant", "0.00005", "0.00008")
        add("groq", "mixtral-8x7b-32768", "0.00024", "0.00024")
        add("mistral", "mistral-large-latest", "0.002", "0.006")
        add("mistral", "mistral-medium-latest", "0.00065", "0.00196")
        add("mistral", "mistral-small-latest", "0.0002", "0.0006")
        add("cohere", "command-r-plus", "0.003", "0.015")
        add("cohere", "command-r", "0.0005", "0.0015")
        add("cohere", "embed-english-v3.0", "0.0001", "0")
        for model in ["llama3", "mistral", "codellama"] { add("ollama", model, "0", "0") }
        return prices
    }()

    public static let fallback = Price(inputPer1K: d("0.001"), outputPer1K: d("0.002"))

    public var unknown: UnknownPolicy

    public init(unknown: UnknownPolicy = .seedFallback) {
        self.unknown = unknown
    }

    /// The cost of one record, and whether its model had a price. Local models
    /// (`ollama:`) cost nothing.
    public func cost(of record: UsageRecord) -> (cost: Decimal, priced: Bool) {
        let price: Price
        var priced = true
        if let known = Self.table[record.modelString] {
            price = known
        } else if record.modelString.hasPrefix("ollama:") {
            return (0, true)
        } else {
            priced = false
            guard unknown == .seedFallback else { return (0, false) }
            price = Self.fallback
        }
        let input = Decimal(record.inputTokens) * price.inputPer1K / 1000
        let output = Decimal(record.outputTokens) * price.outputPer1K / 1000
        return (input + output, priced)
    }
}
