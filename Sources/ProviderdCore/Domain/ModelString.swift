/// A PydanticAI model string, `provider:model` (e.g. `openai:gpt-4o`,
/// `ollama:llama3:8b`). The provider is the part before the first `:`, the model
/// name everything after it.
package struct ModelString: Sendable, Equatable, Hashable, CustomStringConvertible {
    package let value: String

    package var provider: String { Self.split(value)?.provider ?? value }

    package var modelName: String { Self.split(value)?.model ?? "" }

    /// The parts before and after the first `:` byte. Found by byte, not by
    /// Character: a combining mark after the colon (`openai:\u{301}x`) makes one
    /// Character of the two, which `firstIndex(of: ":")` would not see, while the
    /// usage parser, the database and every reader split at the byte.
    package static func split(_ value: String) -> (provider: String, model: String)? {
        split(value, at: UInt8(ascii: ":"))
    }

    /// `value` split at the first `separator` byte (an ASCII character), by byte.
    package static func split(_ value: String, at separator: UInt8) -> (provider: String, model: String)? {
        let bytes = value.utf8
        guard let index = bytes.firstIndex(of: separator) else { return nil }
        return (
            String(decoding: bytes[..<index], as: UTF8.self),
            String(decoding: bytes[bytes.index(after: index)...], as: UTF8.self)
        )
    }

    package var description: String { value }

    /// The seed's `set_model_config` rule: only a `:` is required, so that dynamic
    /// providers (OpenRouter and the like) can be configured.
    package init(_ value: String) throws(InputError) {
        guard value.utf8.contains(UInt8(ascii: ":")) else {
            throw InputError("model", "invalid model string '\(value.prefix(100))': use provider:model-name, e.g. openai:gpt-4o")
        }
        guard value.utf8.count <= 256 else { throw InputError("model", "longer than 256 bytes") }
        guard !ControlCharacters.contains(value) else {
            throw InputError("model", "contains control characters")
        }
        self.value = value
    }

    /// What the daemon can price and map: a valid provider name, a `:`, a non-empty
    /// model name, no control characters (the length is each caller's to word).
    /// By byte, with no copies: the usage parser applies it to every record.
    @inlinable
    package static func isUsable(_ value: String) -> Bool {
        let bytes = value.utf8
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")) else { return false }
        return ProviderName.isValid(value[..<colon]) && bytes.index(after: colon) != bytes.endIndex
            && !ControlCharacters.contains(value)
    }

    /// The seed's `validate_model_string` plus providerd's name rule. Problems are
    /// errors (the daemon cannot use the string); an unknown provider is a warning.
    package enum Finding: Sendable, Equatable {
        case ok
        case warning(String)
        case error(String)
    }

    package var finding: Finding {
        if !ProviderName.isValid(provider) {
            return .error("provider '\(provider.prefix(80))' does not match ^[a-z][a-z0-9_-]{0,63}$")
        }
        if modelName.isEmpty { return .error("model name after '\(provider):' is empty") }
        if !ProviderName.known.contains(provider) { return .warning("unknown provider '\(provider)'") }
        return .ok
    }
}
