/// A provider's decrypted values: what goes into the env file. Lives in memory and,
/// Fernet-sealed, in the state directory; never in logs.
public struct ProviderSecrets: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the values: a fingerprint of the key, whether a base URL and headers are set.
    public var description: String {
        "ProviderSecrets(\(provider), key \(Fingerprint.hex(of: apiKey)), base URL \(baseURL == nil ? "no" : "yes"), headers \(headers == nil ? "no" : "yes"))"
    }
    public var debugDescription: String { description }

    public var provider: String
    public var apiKey: String
    public var baseURL: String?
    /// Compact JSON object of strings, keys sorted.
    public var headers: String?

    public init(provider: String, apiKey: String, baseURL: String? = nil, headers: String? = nil) {
        self.provider = provider
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.headers = headers
    }
}

/// Why a provider's current row could not be used.
public struct ProviderProblem: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var provider: String
    public var reason: String
    public init(provider: String, reason: String) {
        self.provider = provider
        self.reason = reason
    }
    public var description: String { "provider \(provider): \(reason)" }
}
