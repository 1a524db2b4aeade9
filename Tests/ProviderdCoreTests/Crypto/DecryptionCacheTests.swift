import Testing

@testable import ProviderdCore

@Suite("Decryptions kept between renders")
struct DecryptionCacheTests {
    let key: FernetKey
    let keyring: FernetKeyring

    init() throws {
        key = try FernetKey.generate()
        keyring = FernetKeyring(keys: [key])
    }

    func row(_ provider: String, _ secret: String?, active: Bool = true) throws -> APIKeyRow {
        APIKeyRow(
            provider: provider, encryptedKey: try secret.map { try Fernet.encrypt(Array($0.utf8), key: key) },
            baseURL: nil, headers: nil, isActive: active)
    }

    @Test("the same results as the decryptor, for unchanged, changed, refused, inactive and vanished rows")
    func sameResults() throws {
        var cache = DecryptionCache()
        var rows = try (0..<50).map { try row("p\($0)", "sk-\($0)") }
        rows.append(try row("nul", nil))
        rows.append(APIKeyRow(provider: "junk", encryptedKey: "not a token", baseURL: nil, headers: nil, isActive: true))
        rows.append(try row("off", "sk-off", active: false))
        #expect(cache.decrypt(rows, keyring: keyring) == ProviderDecryptor.decrypt(rows, keyring: keyring))
        #expect(cache.count == 52)

        rows[3] = try row("p3", "sk-3-new")
        rows[7].baseURL = "https://example.test"
        rows.removeLast(2)
        rows.removeFirst()
        let second = cache.decrypt(rows, keyring: keyring)
        #expect(second == ProviderDecryptor.decrypt(rows, keyring: keyring))
        #expect(try second["p3"]?.get().apiKey == "sk-3-new")
        #expect(try second["p7"]?.get().baseURL == "https://example.test")
        #expect(second["p0"] == nil)
        #expect(cache.count == 50)
    }

    @Test("an unchanged row is not decrypted again: a token the keyring no longer opens still gives the kept value until the row changes")
    func reused() throws {
        var cache = DecryptionCache()
        let rows = [try row("openai", "sk-kept")]
        _ = cache.decrypt(rows, keyring: keyring)
        // Another keyring (a reload starts a new cache; this shows the cache alone).
        let other = FernetKeyring(keys: [try FernetKey.generate()])
        #expect(try cache.decrypt(rows, keyring: other)["openai"]?.get().apiKey == "sk-kept")
        var fresh = DecryptionCache()
        #expect(throws: ProviderProblem.self) { try fresh.decrypt(rows, keyring: other)["openai"]?.get() }
    }

    @Test("a provider listed twice (a table without its primary key) still lets a vanished provider go")
    func duplicateProvider() throws {
        var cache = DecryptionCache()
        _ = cache.decrypt([try row("", "sk-1"), try row("gone", "sk-gone")], keyring: keyring)
        let rows = [try row("", "sk-1"), try row("", "sk-2")]
        let results = cache.decrypt(rows, keyring: keyring)
        #expect(results == ProviderDecryptor.decrypt(rows, keyring: keyring))
        #expect(results["gone"] == nil)
        #expect(cache.count == 1)
    }
}
