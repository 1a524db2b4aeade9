/// Each active row's decryption, kept while the row stays the same, so that a
/// change to one key of a thousand decrypts one token, not a thousand (the render
/// an agent waits on). Holds what the renderer's last good values already hold
/// in memory, and the reasons rows were refused; never written anywhere.
///
/// Valid for one keyring: the publisher starts a new cache when a reload brings
/// other keys.
package struct DecryptionCache: Sendable {
    /// The active rows as last seen, and their decryptions, by provider.
    private var rows: [String: APIKeyRow] = [:]
    private var results: [String: Result<ProviderSecrets, ProviderProblem>] = [:]

    package init() {}

    /// What `ProviderDecryptor.decrypt` gives for `rows`, decrypting only rows
    /// not seen, in these very columns, at the previous call. Rows gone since (or
    /// deactivated) are forgotten. The dictionary is updated in place: a change to
    /// one row of a thousand touches one entry.
    package mutating func decrypt(_ rows: [APIKeyRow], keyring: FernetKeyring) -> [String: Result<ProviderSecrets, ProviderProblem>] {
        var active = 0
        for row in rows where row.isActive {
            active += 1
            if let known = self.rows[row.provider], known == row { continue }
            // One row at a time: the decryptor's own rules, unchanged. (A provider
            // twice in `rows` cannot happen with the seed's key, but would leave the
            // last row, as the decryptor does.)
            self.rows[row.provider] = row
            results[row.provider] = ProviderDecryptor.decrypt([row], keyring: keyring)[row.provider]
        }
        if active != self.rows.count {
            let present = Set(rows.lazy.filter(\.isActive).map(\.provider))
            self.rows = self.rows.filter { present.contains($0.key) }
            results = results.filter { present.contains($0.key) }
        }
        return results
    }

    /// Rows whose decryption is kept.
    package var count: Int { rows.count }
}
