/// Each active row's decryption, kept while the row stays the same, so that a
/// change to one key of a thousand decrypts one token, not a thousand (the render
/// an agent waits on). Holds what the renderer's last good values already hold
/// in memory, and the reasons rows were refused; never written anywhere.
///
/// Valid for one keyring: the publisher starts a new cache when a reload brings
/// other keys.
package struct DecryptionCache: Sendable {
    /// The active rows as last seen, and their decryptions, by provider, with the
    /// call that last saw each.
    private var rows: [String: (row: APIKeyRow, pass: UInt64)] = [:]
    private var results: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
    private var pass: UInt64 = 0

    package init() {}

    /// What `ProviderDecryptor.decrypt` gives for `rows`, decrypting only rows
    /// not seen, in these very columns, at the previous call. Rows gone since (or
    /// deactivated) are forgotten. The dictionary is updated in place: a change to
    /// one row of a thousand touches one entry.
    package mutating func decrypt(_ rows: [APIKeyRow], keyring: FernetKeyring) -> [String: Result<ProviderSecrets, ProviderProblem>] {
        pass &+= 1
        // Providers seen in this call, each once (a schema that lost its primary key
        // can list one twice: the last row wins, as in the decryptor).
        var seen = 0
        for row in rows where row.isActive {
            let known = self.rows[row.provider]
            if known?.pass != pass { seen += 1 }
            if let known, known.row == row {
                self.rows[row.provider]?.pass = pass
                continue
            }
            self.rows[row.provider] = (row, pass)
            results[row.provider] = ProviderDecryptor.decrypt([row], keyring: keyring)[row.provider]
        }
        if seen != self.rows.count {
            let current = pass
            self.rows = self.rows.filter { $0.value.pass == current }
            results = results.filter { self.rows[$0.key] != nil }
        }
        return results
    }

    /// Rows whose decryption is kept.
    package var count: Int { rows.count }
}
