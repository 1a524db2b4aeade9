/// A provider's decrypted values: what goes into the env file. Lives in memory and,
/// Fernet-sealed, in the state directory; never in logs.
package struct ProviderSecrets: Sendable, Equatable, Codable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Never the values: a fingerprint of the key, whether a base URL and headers are set.
    package var description: String {
        "ProviderSecrets(\(provider), key \(Fingerprint.hex(of: apiKey)), base URL \(baseURL == nil ? "no" : "yes"), headers \(headers == nil ? "no" : "yes"))"
    }
    package var debugDescription: String { description }

    package var provider: String
    package var apiKey: String
    package var baseURL: String?
    /// Compact JSON object of strings, keys sorted.
    package var headers: String?

    package init(provider: String, apiKey: String, baseURL: String? = nil, headers: String? = nil) {
        self.provider = provider
        self.apiKey = apiKey
        self.baseURL = baseURL
        self.headers = headers
    }
}
