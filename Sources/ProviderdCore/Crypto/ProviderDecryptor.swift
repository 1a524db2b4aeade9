#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decrypts active rows. Failures carry the reason (never the token or a value).
package enum ProviderDecryptor {
    package static func decrypt(_ rows: [APIKeyRow], keyring: FernetKeyring) -> [String: Result<ProviderSecrets, ProviderProblem>] {
        var results: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        for row in rows where row.isActive {
            guard let token = row.encryptedKey else {
                results[row.provider] = .failure(ProviderProblem(provider: row.provider, reason: "encrypted_key is NULL"))
                continue
            }
            do {
                let opened = try keyring.decryptString(token)
                let headers = try compactHeaders(row.headers)
                results[row.provider] = .success(
                    ProviderSecrets(
                        provider: row.provider, apiKey: opened.text,
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
        guard let headers = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else {
            throw ConfigurationError("headers must be a JSON object of strings")
        }
        if headers.isEmpty { return nil }
        return try HeaderJSON.encode(headers)
    }
}
