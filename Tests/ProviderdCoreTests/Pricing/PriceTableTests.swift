import Foundation
import Testing

@testable import ProviderdCore

/// The price lookup against the built-in copy of etc/prices.json (genai-prices'
/// data) and against small hand-written tables whose every rule is visible.
/// The end-to-end comparison with genai-prices' calc_price is in
/// IntegrationTests/Usage/PriceOracleTests.swift.
@Suite("Price table")
struct PriceTableTests {
    static let builtIn = try! PriceTable.builtIn()

    static func record(
        _ model: String, input: Int64 = 0, output: Int64 = 0, cacheRead: Int64 = 0,
        cacheWrite: Int64 = 0, requests: Int64 = 1
    ) -> UsageRecord {
        UsageRecord(
            serviceName: "svc", modelString: model, inputTokens: input, outputTokens: output,
            cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite, requestCount: requests)
    }

    static func d(_ text: String) -> Decimal { Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))! }

    static func resolved(_ table: PriceTable, _ model: String) -> (provider: String, model: String)? {
        if case .priced(let provider, let id, _, _) = table.resolve(model, regexes: RegexCache()) { return (provider, id) }
        return nil
    }

    /// 2026-11-26T12:00:00Z
    static let noon: Int64 = 1_795_694_400

    @Test("the built-in table names genai-prices and its version, and has the providers the issue lists")
    func builtInSource() throws {
        let table = Self.builtIn
        #expect(table.source.package == "genai-prices")
        #expect(table.source.version == "0.2.3")
        #expect(table.origin == "built-in prices")
        #expect(table.modelCount > 2_000)
        for model in [
            "openai:gpt-4o", "anthropic:claude-3-5-sonnet-latest", "google:gemini-2.5-pro", "groq:llama-3.3-70b-versatile",
            "mistral:mistral-large-latest", "cohere:command-r-plus", "deepseek:deepseek-chat", "x-ai:grok-3",
        ] {
            #expect(Self.resolved(table, model) != nil, "\(model) has no price")
        }
    }

    @Test("PydanticAI's provider prefixes map to genai-prices' providers")
    func aliases() {
        let table = Self.builtIn
        for prefix in ["google-gla", "google-vertex", "google-cloud", "gemini", "google"] {
            #expect(Self.resolved(table, "\(prefix):gemini-1.5-pro")?.provider == "google", "\(prefix)")
        }
        #expect(Self.resolved(table, "openai-chat:gpt-4o")?.provider == "openai")
        for prefix in ["grok", "xai", "x-ai"] {
            #expect(Self.resolved(table, "\(prefix):grok-3")?.provider == "x-ai", "\(prefix)")
        }
        #expect(Self.resolved(table, "bedrock:anthropic.claude-3-haiku-20240307-v1:0")?.provider == "aws")
        // Google's fallback to anthropic models (Vertex).
        #expect(Self.resolved(table, "google-vertex:claude-sonnet-4-5")?.model == "claude-sonnet-4-5")
    }

    @Test("a dated model version and different case find the base model")
    func datedVersions() {
        let table = Self.builtIn
        #expect(Self.resolved(table, "openai:gpt-4o-2024-08-06")?.model == "gpt-4o")
        #expect(Self.resolved(table, "openai:GPT-4o")?.model == "gpt-4o")
        #expect(Self.resolved(table, "anthropic:claude-3-5-sonnet-20241022")?.model == "claude-3-5-sonnet")
        #expect(Self.resolved(table, "anthropic:claude-sonnet-4-5-20250929")?.model == "claude-sonnet-4-5")
    }

    @Test("a compact date is rewritten with dashes only when the model does not match as given")
    func compactDates() {
        #expect(PriceTable.dashedCompactDates("gpt-5.2-20251211") == "gpt-5.2-2025-12-11")
        #expect(PriceTable.dashedCompactDates("m-20251211:free") == "m-2025-12-11:free")
        #expect(PriceTable.dashedCompactDates("m-20251211-x-20240101") == "m-2025-12-11-x-2024-01-01")
        #expect(PriceTable.dashedCompactDates("m-20250230") == "m-20250230")  // no 30 February
        #expect(PriceTable.dashedCompactDates("m-19991211") == "m-19991211")  // 20xx only
        #expect(PriceTable.dashedCompactDates("m-202512110") == "m-202512110")  // not followed by -, : or end
        #expect(PriceTable.dashedCompactDates("m-20240229") == "m-2024-02-29")
    }

    @Test("local providers cost nothing; unknown providers and models are unknown")
    func localAndUnknown() {
        let table = Self.builtIn
        #expect(table.resolve("ollama:llama3", regexes: RegexCache()) == .local(provider: "ollama"))
        #expect(table.resolve("ollama:anything-at-all", regexes: RegexCache()) == .local(provider: "ollama"))
        #expect(table.resolve("openai:no-such-model-xyz", regexes: RegexCache()) == .unknown)
        #expect(table.resolve("nosuchprovider:gpt-4o", regexes: RegexCache()) == .unknown)
        #expect(table.resolve("no-colon", regexes: RegexCache()) == .unknown)
    }

    @Test("a model the seed priced and genai-prices lacks keeps the seed's price, marked as such")
    func seedOnly() throws {
        guard
            case .priced(let provider, let model, let schedule, let fromSeed) =
                Self.builtIn.resolve("cohere:embed-english-v3.0", regexes: RegexCache())
        else {
            Issue.record("cohere:embed-english-v3.0 has no price")
            return
        }
        #expect(provider == "cohere" && model == "embed-english-v3.0" && fromSeed)
        // The seed: 0.0001 USD per 1K input tokens.
        #expect(schedule.rates(at: Self.noon).cost(of: Self.record("cohere:embed-english-v3.0", input: 10_000)) == Self.d("0.001"))
        guard case .priced(_, _, _, let gpt4oFromSeed) = Self.builtIn.resolve("openai:gpt-4o", regexes: RegexCache()) else {
            Issue.record("openai:gpt-4o has no price")
            return
        }
        #expect(!gpt4oFromSeed)
    }

    @Test("built-in prices: the figures genai-prices 0.2.3's calc_price gives for the same usage")
    func builtInFigures() {
        var pricer = UsagePricer(table: Self.builtIn, unknown: .seedFallback)
        let usage = { (model: String) in Self.record(model, input: 300_000, output: 1_000, cacheRead: 100_000) }
        // From calc_price(Usage(input_tokens=300000, output_tokens=1000, cache_read_tokens=100000), ...).
        let expected: [(String, String)] = [
            ("openai:gpt-4o-2024-08-06", "0.635"),
            ("anthropic:claude-3-5-sonnet-20241022", "0.645"),
            ("anthropic:claude-sonnet-4-5-20250929", "1.2825"),  // over the 200K tier
            ("google-gla:gemini-2.5-pro", "0.540"),
            ("grok:grok-3", "0.690"),
            ("groq:llama-3.3-70b-versatile", "0.17779"),
            ("mistral:mistral-large-latest", "0.606"),
            ("cohere:command-r-plus", "0.76"),
            ("perplexity:sonar", "0.313"),  // 12 USD per 1,000 requests
        ]
        for (model, cost) in expected {
            let result = pricer.price(usage(model), at: Self.noon)
            #expect(result.priced, "\(model)")
            #expect(result.cost == Self.d(cost), "\(model): \(result.cost) != \(cost)")
        }
    }

    @Test("unknown models: the seed's fallback or zero, by configuration, and reported unpriced")
    func unknownPolicy() {
        let record = Self.record("openai:no-such-model-xyz", input: 1_000, output: 1_000)
        var fallback = UsagePricer(table: Self.builtIn, unknown: .seedFallback)
        let priced = fallback.price(record, at: Self.noon)
        #expect(priced.cost == Self.d("0.003") && !priced.priced)
        var zero = UsagePricer(table: Self.builtIn, unknown: .zero)
        let free = zero.price(record, at: Self.noon)
        #expect(free.cost == 0 && !free.priced)
        var local = UsagePricer(table: Self.builtIn, unknown: .seedFallback)
        let ollama = local.price(Self.record("ollama:llama3", input: 1_000_000, output: 1_000_000), at: Self.noon)
        #expect(ollama.cost == 0 && ollama.priced)
    }
}
