#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Model prices from `etc/prices.json` (genai-prices' data, flattened by
/// `scripts/update-prices`), and the lookup that finds a model string's prices
/// the way genai-prices' `calc_price(usage, model, provider_id=provider)` does:
///
/// 1. `provider:model` is split at the first colon; the file's aliases map
///    PydanticAI's prefixes (`google-gla`, `openai-chat`, `grok`...) to providers.
/// 2. The provider is found by id, else by its provider-match clause, in file order
///    (`litellm` with `provider/model` defers to that provider, as genai-prices does).
/// 3. The lowercased model is matched against the provider's models in order, then
///    against its fallback providers' models (one step), then once more with a
///    compact date (`-20251211`) rewritten to `-2025-12-11`.
///
/// Immutable and Sendable: loaded at start and on SIGHUP, shared by reference.
package struct PriceTable: Sendable {
    package struct Source: Sendable, Equatable, CustomStringConvertible {
        package var package: String
        package var version: String
        package var generated: String
        package var description: String { "\(package) \(version) (generated \(generated))" }
    }

    struct Provider: Sendable {
        var id: String
        var providerMatch: PriceMatch?
        var fallback: [String]
        /// Runs models locally (ollama): every model is priced at 0.
        var isLocal: Bool
        var models: [Model]
    }

    struct Model: Sendable {
        var id: String
        var match: PriceMatch
        var schedule: PriceSchedule
        /// Priced by the replaced UsageTracker's table: genai-prices lacks it.
        var fromSeed: Bool
    }

    /// What a model string resolves to.
    package enum Resolution: Sendable, Equatable {
        /// Priced: the provider and model ids in the file, and the prices over time.
        case priced(provider: String, model: String, schedule: PriceSchedule, fromSeed: Bool)
        /// A local provider's model: costs nothing.
        case local(provider: String)
        case unknown
    }

    package let source: Source
    /// The file's path, or "built-in prices".
    package let origin: String
    let aliases: [String: String]
    let providers: [Provider]

    package var modelCount: Int { providers.reduce(0) { $0 + $1.models.count } }

    /// Parses and checks a price file's contents; throws `PriceTableError` naming
    /// the place in the file that is wrong.
    package init(json: String, origin: String) throws {
        let document: PriceTableDocument
        do {
            document = try JSONDecoder().decode(PriceTableDocument.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw PriceTableError(origin: origin, Self.describe(error))
        }
        guard document.source.package == "genai-prices" else {
            throw PriceTableError(origin: origin, "source.package is '\(document.source.package)', expected genai-prices")
        }
        self.source = Source(
            package: document.source.package, version: document.source.version,
            generated: document.source.generated)
        self.origin = origin
        self.aliases = document.aliases
        self.providers = try document.providerTables(origin: origin)
    }

    /// The copy of `etc/prices.json` built into the binary. It cannot change while
    /// the process runs, so it is parsed once, whoever asks first (a SIGHUP that
    /// returns to it does not parse it again).
    package static func builtIn() throws(PriceTableError) -> PriceTable {
        try builtInParse.get()
    }

    private static let builtInParse: Result<PriceTable, PriceTableError> = {
        let origin = "built-in prices"
        guard let text = EmbeddedResources.files["etc/prices.json"] else {
            return .failure(PriceTableError(origin: origin, "the binary was built without etc/prices.json"))
        }
        do {
            return .success(try PriceTable(json: text, origin: origin))
        } catch let error as PriceTableError {
            return .failure(error)
        } catch {
            return .failure(PriceTableError(origin: origin, "\(error)"))
        }
    }()

    /// `prices.file` when set, else the built-in copy.
    package static func load(file: String?) throws -> PriceTable {
        guard let file else { return try builtIn() }
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw PriceTableError(origin: file, "cannot be read as UTF-8 text (\(Self.reason(error)))")
        }
        return try PriceTable(json: text, origin: file)
    }

    /// The provider id a model string's prefix stands for (`google-gla` → `google`).
    package func aliasOf(_ prefix: String) -> String { aliases[prefix] ?? prefix }

    /// Every priced model, as the model string that names it (`provider:model id`),
    /// in file order; local providers (free) are left out.
    package var pricedModelStrings: [String] {
        providers.filter { !$0.isLocal }.flatMap { provider in provider.models.map { "\(provider.id):\($0.id)" } }
    }

    /// Finds a model string's prices; `regexes` compiles the file's patterns for
    /// this caller's thread.
    package func resolve(_ modelString: String, regexes: RegexCache) -> Resolution {
        guard let (prefix, name) = ModelString.split(modelString) else { return .unknown }
        var providerID = aliases[prefix] ?? prefix
        var model = name.lowercased()
        if providerID.lowercased() == "litellm", let (actual, rest) = ModelString.split(model, at: UInt8(ascii: "/")) {
            if !actual.isEmpty, provider(id: actual, regexes: regexes) != nil {
                providerID = actual
                model = rest
            }
        }
        guard let provider = provider(id: providerID, regexes: regexes) else { return .unknown }
        if provider.isLocal { return .local(provider: provider.id) }
        guard let found = findModel(model, in: provider, regexes: regexes) else { return .unknown }
        return .priced(provider: provider.id, model: found.id, schedule: found.schedule, fromSeed: found.fromSeed)
    }

    func provider(id: String, regexes: RegexCache) -> Provider? {
        let lowered = id.lowercased()
        let normalized = String(lowered.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if let exact = providers.first(where: { $0.id == normalized }) { return exact }
        return providers.first { $0.providerMatch?.matches(normalized, regexes: regexes) ?? false }
    }

    func findModel(_ model: String, in provider: Provider, regexes: RegexCache) -> Model? {
        if let found = matchModel(model, in: provider, regexes: regexes) { return found }
        let normalized = Self.dashedCompactDates(model)
        return normalized == model ? nil : matchModel(normalized, in: provider, regexes: regexes)
    }

    private func matchModel(_ model: String, in provider: Provider, regexes: RegexCache) -> Model? {
        if let found = provider.models.first(where: { $0.match.matches(model, regexes: regexes) }) { return found }
        for fallbackID in provider.fallback {
            guard let fallback = providers.first(where: { $0.id == fallbackID }) else { continue }
            if let found = fallback.models.first(where: { $0.match.matches(model, regexes: regexes) }) { return found }
        }
        return nil
    }

    /// genai-prices' `_normalize_compact_dated_ref`: `-YYYYMMDD` (20xx, a real
    /// date) followed by `-`, `:` or the end becomes `-YYYY-MM-DD`.
    static func dashedCompactDates(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        func digit(_ at: Int) -> Int? {
            let value = scalars[at].value
            return (0x30...0x39).contains(value) ? Int(value - 0x30) : nil
        }
        while index < scalars.count {
            let after = index + 9
            if scalars[index] == "-", after <= scalars.count,
                after == scalars.count || scalars[after] == "-" || scalars[after] == ":"
            {
                let digits = (index + 1..<after).compactMap(digit)
                if digits.count == 8, digits[0] == 2, digits[1] == 0 {
                    let year = digits[0...3].reduce(0) { $0 * 10 + $1 }
                    let month = digits[4] * 10 + digits[5], day = digits[6] * 10 + digits[7]
                    if (1...12).contains(month), (1...RFC3339.daysIn(month: month, year: year)).contains(day) {
                        out.append(contentsOf: "-\(year)-\(digits[4])\(digits[5])-\(digits[6])\(digits[7])".unicodeScalars)
                        index = after
                        continue
                    }
                }
            }
            out.append(scalars[index])
            index += 1
        }
        return String(out)
    }

    static func decimal(_ text: String) -> Decimal? {
        // Plain decimal notation only: Decimal(string:) would also take "1e3" and stop at junk.
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            text.filter({ $0 == "." }).count <= 1, text.first != ".", text.last != "."
        else { return nil }
        // No locale: with one, Decimal asks ICU for the separator, which pulls
        // megabytes of locale data into every daemon's memory for a ".".
        return Decimal(string: text)
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "the document" : String(text.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(path(context)): '\(key.stringValue)' is missing"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type)"
        @unknown default:
            return "\(error)"
        }
    }

    static func reason(_ error: any Error) -> String {
        "\(error)"
    }
}
