/// Provider names as stored in `api_keys.provider` and used before the `:` of a
/// model string: `^[a-z][a-z0-9_-]{0,63}$` (migration 002's CHECK).
package enum ProviderName {
    /// The eight providers the seed's schema and validator knew.
    package static let seedProviders: Set<String> = [
        "openai", "anthropic", "google", "gemini", "groq", "mistral", "ollama", "cohere",
    ]

    /// Providers PydanticAI knows by name (model string prefixes and provider ids);
    /// anything else is allowed but `check` warns about it.
    package static let known: Set<String> = seedProviders.union([
        "openai-chat", "openai-responses", "google-gla", "google-vertex", "google-cloud", "deepseek",
        "openrouter", "together", "fireworks", "cerebras", "xai", "grok", "x-ai", "huggingface",
        "bedrock", "azure", "heroku", "github", "vercel", "moonshotai", "litellm", "nebius", "ovhcloud",
        "test",
    ])

    package static func isValid(_ name: some StringProtocol) -> Bool {
        var count = 0
        for byte in name.utf8 {
            let lower = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
            if count == 0 {
                guard lower else { return false }
            } else {
                guard
                    lower || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: "-")
                else { return false }
            }
            count += 1
            if count > 64 { return false }
        }
        return count > 0
    }

    /// Throws unless `name` is a valid provider name.
    package static func validate(_ name: String) throws(InputError) {
        guard isValid(name) else {
            throw InputError("provider", "'\(name.prefix(80))' is not a provider name: use 1-64 characters, a-z first, then a-z 0-9 _ -")
        }
    }
}
