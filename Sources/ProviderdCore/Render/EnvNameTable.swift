/// Which environment variables a provider's key, base URL and headers go to,
/// following PydanticAI's names. One table, in this file; the config file may
/// override key names (`output.env_names`).
package struct EnvNameTable: Sendable {
    /// A provider's names. `ownKeyNames` are its own; `aliasKeyNames` it fills only
    /// when the provider owning that name has no row (`google` fills
    /// `GEMINI_API_KEY` only without a `gemini` row, `grok` fills `XAI_API_KEY`
    /// only without an `xai` row).
    package struct Names: Sendable, Equatable {
        package var ownKeyNames: [String]
        package var aliasKeyNames: [String]
        package var baseURLName: String
        package var headersName: String
    }

    struct Entry: Sendable {
        var keys: [String]
        var aliases: [String] = []
        var baseURL: String? = nil
    }

    static let builtIn: [String: Entry] = [
        "openai": Entry(keys: ["OPENAI_API_KEY"], baseURL: "OPENAI_BASE_URL"),
        "anthropic": Entry(keys: ["ANTHROPIC_API_KEY"], baseURL: "ANTHROPIC_BASE_URL"),
        "google": Entry(keys: ["GOOGLE_API_KEY"], aliases: ["GEMINI_API_KEY"]),
        "gemini": Entry(keys: ["GEMINI_API_KEY"], aliases: ["GOOGLE_API_KEY"]),
        "groq": Entry(keys: ["GROQ_API_KEY"], baseURL: "GROQ_BASE_URL"),
        "mistral": Entry(keys: ["MISTRAL_API_KEY"]),
        "cohere": Entry(keys: ["CO_API_KEY"], baseURL: "CO_BASE_URL"),
        "ollama": Entry(keys: ["OLLAMA_API_KEY"], baseURL: "OLLAMA_BASE_URL"),
        "deepseek": Entry(keys: ["DEEPSEEK_API_KEY"]),
        "openrouter": Entry(keys: ["OPENROUTER_API_KEY"]),
        "together": Entry(keys: ["TOGETHER_API_KEY"]),
        "fireworks": Entry(keys: ["FIREWORKS_API_KEY"]),
        "cerebras": Entry(keys: ["CEREBRAS_API_KEY"]),
        "xai": Entry(keys: ["XAI_API_KEY"]),
        "grok": Entry(keys: [], aliases: ["XAI_API_KEY"]),
        "huggingface": Entry(keys: ["HF_TOKEN"]),
    ]

    /// Key-name overrides from the config file: provider → variable name.
    package let overrides: [String: String]

    /// Every name the built-in table gives a known provider. An unknown provider
    /// whose derived name lands here is refused rather than overwrite it.
    package let reservedNames: Set<String>

    package init(overrides: [String: String] = [:]) {
        self.overrides = overrides
        var names = Set<String>()
        for (provider, entry) in Self.builtIn {
            names.formUnion(entry.keys)
            names.formUnion(entry.aliases)
            if let baseURL = entry.baseURL { names.insert(baseURL) }
            names.insert(Self.upperSnake(provider) + "_BASE_URL")
            names.insert(Self.upperSnake(provider) + "_EXTRA_HEADERS")
        }
        for (provider, name) in overrides where Self.builtIn[provider] != nil { names.insert(name) }
        reservedNames = names
    }

    /// `foo-bar` → `FOO_BAR`.
    package static func upperSnake(_ provider: String) -> String {
        String(provider.uppercased().map { $0 == "-" ? "_" : $0 })
    }

    /// The names for `provider`, or why it cannot have any.
    package func names(for provider: String) throws(EnvNameError) -> Names {
        // The CLI's rule, applied to every row read, not left to the table's CHECK
        // (a dropped constraint, a hand-made table): a name with '=', a newline or
        // a space would write a line of its own choosing into the env file.
        guard ProviderName.isValid(provider) else {
            throw EnvNameError(
                provider: String(Self.printable(provider)),
                message: "not a provider name (1-64 characters, a-z first, then a-z 0-9 _ -); the row is left out")
        }
        let snake = Self.upperSnake(provider)
        if let entry = Self.builtIn[provider] {
            var keys = entry.keys
            if let override = overrides[provider] { keys = [override] }
            return Names(
                ownKeyNames: keys, aliasKeyNames: entry.aliases,
                baseURLName: entry.baseURL ?? snake + "_BASE_URL", headersName: snake + "_EXTRA_HEADERS")
        }
        let names = Names(
            ownKeyNames: [overrides[provider] ?? snake + "_API_KEY"], aliasKeyNames: [],
            baseURLName: snake + "_BASE_URL", headersName: snake + "_EXTRA_HEADERS")
        for name in names.ownKeyNames + [names.baseURLName, names.headersName] where reservedNames.contains(name) {
            throw EnvNameError(
                provider: provider,
                message: "its variable \(name) belongs to a known provider; rename the provider or set output.env_names")
        }
        return names
    }

    /// A refused name as it can be logged: control characters as `?`, at most 80 characters.
    static func printable(_ name: String) -> Substring {
        String(name.unicodeScalars.map { ControlCharacters.isControl($0) ? "?" : Character($0) }).prefix(80)
    }

    /// Parses `output.env_names` entries of the form `provider=NAME`.
    package static func parseOverrides(_ entries: [String]) throws(ConfigurationError) -> [String: String] {
        var overrides: [String: String] = [:]
        for entry in entries {
            guard let equals = entry.firstIndex(of: "=") else {
                throw ConfigurationError("output.env_names: '\(entry)' must be provider=NAME")
            }
            let provider = String(entry[..<equals]), name = String(entry[entry.index(after: equals)...])
            guard ProviderName.isValid(provider) else {
                throw ConfigurationError("output.env_names: '\(provider)' is not a provider name")
            }
            guard isValidVariableName(name) else {
                throw ConfigurationError("output.env_names: '\(name)' is not a variable name (A-Z, 0-9, _; not starting with a digit)")
            }
            overrides[provider] = name
        }
        return overrides
    }

    static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return name.utf8.allSatisfy {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                || $0 == UInt8(ascii: "_")
        }
    }
}

package struct EnvNameError: Error, Equatable, Sendable, CustomStringConvertible {
    package let provider: String
    package let message: String
    package var description: String { "provider \(provider): \(message)" }
}
