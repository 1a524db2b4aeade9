import Foundation

/// One `api_keys` row as read, still encrypted.
public struct APIKeyRow: Sendable, Equatable {
    public var provider: String
    public var encryptedKey: String
    public var baseURL: String?
    /// `headers` as PostgreSQL prints jsonb, or nil.
    public var headers: String?
    public var isActive: Bool

    public init(provider: String, encryptedKey: String, baseURL: String?, headers: String?, isActive: Bool) {
        self.provider = provider
        self.encryptedKey = encryptedKey
        self.baseURL = baseURL
        self.headers = headers
        self.isActive = isActive
    }
}

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

/// One `model_config` row.
public struct ServiceConfig: Sendable, Equatable, Codable {
    public var service: String
    public var model: String
    public var temperature: Double?
    public var maxTokens: Int?

    public init(service: String, model: String, temperature: Double?, maxTokens: Int?) {
        self.service = service
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
    }
}

/// Everything one render needs, as read from the database.
public struct ConfigSnapshot: Sendable, Equatable {
    public var keys: [APIKeyRow]
    public var services: [ServiceConfig]

    public init(keys: [APIKeyRow], services: [ServiceConfig]) {
        self.keys = keys
        self.services = services
    }
}

/// Decrypts active rows. Failures carry the reason (never the token or a value).
public enum ProviderDecryptor {
    public static func decrypt(_ rows: [APIKeyRow], keyring: FernetKeyring) -> [String: Result<ProviderSecrets, ProviderProblem>] {
        var results: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        for row in rows where row.isActive {
            do {
                let opened = try keyring.decryptString(row.encryptedKey)
                let headers = try compactHeaders(row.headers)
                results[row.provider] = .success(ProviderSecrets(provider: row.provider, apiKey: opened.text,
                                                                 baseURL: row.baseURL, headers: headers))
            } catch let error as FernetError {
                let reason: String
                if case .invalidSignature(let ids) = error {
                    reason = "key does not decrypt with key id \(ids.joined(separator: ", ")) (wrong encryption key or altered token)"
                } else {
                    reason = error.description
                }
                results[row.provider] = .failure(ProviderProblem(provider: row.provider, reason: reason))
            } catch {
                results[row.provider] = .failure(ProviderProblem(provider: row.provider, reason: "\(error)"))
            }
        }
        return results
    }

    /// jsonb text → compact JSON with sorted keys; must be an object of strings.
    static func compactHeaders(_ text: String?) throws -> String? {
        guard let text else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)), let headers = object as? [String: Any],
              headers.values.allSatisfy({ $0 is String })
        else {
            throw ConfigurationError("headers must be a JSON object of strings")
        }
        if headers.isEmpty { return nil }
        let data = try JSONSerialization.data(withJSONObject: headers, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
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
