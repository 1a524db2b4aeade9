/// Each active row's decryption, kept while the row stays the same, so that a
/// change to one key of a thousand decrypts one token, not a thousand (the render
/// an agent waits on). Holds what the renderer's last good values already hold
/// in memory, and the reasons rows were refused; never written anywhere.
///
/// Valid for one keyring: the publisher starts a new cache when a reload brings
/// other keys.
package struct DecryptionCache: Sendable {
    private var entries: [String: (row: APIKeyRow, result: Result<ProviderSecrets, ProviderProblem>)] = [:]

    package init() {}

    /// What `ProviderDecryptor.decrypt` gives for `rows`, decrypting only rows
    /// not seen, in these very columns, at the previous call. Rows gone since are
    /// forgotten.
    package mutating func decrypt(_ rows: [APIKeyRow], keyring: FernetKeyring) -> [String: Result<ProviderSecrets, ProviderProblem>] {
        var results: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        var kept: [String: (row: APIKeyRow, result: Result<ProviderSecrets, ProviderProblem>)] = [:]
        results.reserveCapacity(rows.count)
        kept.reserveCapacity(rows.count)
        for row in rows where row.isActive {
            let result: Result<ProviderSecrets, ProviderProblem>
            if let cached = entries[row.provider], cached.row == row {
                result = cached.result
            } else {
                // One row at a time: the decryptor's own rules, unchanged.
                guard let fresh = ProviderDecryptor.decrypt([row], keyring: keyring)[row.provider] else { continue }
                result = fresh
            }
            results[row.provider] = result
            kept[row.provider] = (row, result)
        }
        entries = kept
        return results
    }

    /// Rows whose decryption is kept.
    package var count: Int { entries.count }
}
