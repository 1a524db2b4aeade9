/// A PydanticAI model string, `provider:model` (e.g. `openai:gpt-4o`,
/// `ollama:llama3:8b`). The provider is the part before the first `:`, the model
/// name everything after it.
public struct ModelString: Sendable, Equatable, Hashable, CustomStringConvertible {
    public let value: String

    public var provider: String {
        guard let colon = value.firstIndex(of: ":") else { return value }
        return String(value[..<colon])
    }

    public var modelName: String {
        guard let colon = value.firstIndex(of: ":") else { return "" }
        return String(value[value.index(after: colon)...])
    }

    public var description: String { value }

    /// The seed's `set_model_config` rule: only a `:` is required, so that dynamic
    /// providers (OpenRouter and the like) can be configured.
    public init(_ value: String) throws(InputError) {
        guard value.contains(":") else {
            throw InputError("model", "invalid model string '\(value.prefix(100))': use provider:model-name, e.g. openai:gpt-4o")
        }
        guard value.utf8.count <= 256 else { throw InputError("model", "longer than 256 bytes") }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw InputError("model", "contains control characters")
        }
        self.value = value
    }

    /// The seed's `validate_model_string` plus providerd's name rule. Problems are
    /// errors (the daemon cannot use the string); an unknown provider is a warning.
    public enum Finding: Sendable, Equatable {
        case ok
        case warning(String)
        case error(String)
    }

    public var finding: Finding {
        if !ProviderName.isValid(provider) {
            return .error("provider '\(provider.prefix(80))' does not match ^[a-z][a-z0-9_-]{0,63}$")
        }
        if modelName.isEmpty { return .error("model name after '\(provider):' is empty") }
        if !ProviderName.known.contains(provider) { return .warning("unknown provider '\(provider)'") }
        return .ok
    }
}
