/// One Fernet key: 32 bytes, the first 16 sign (HMAC-SHA256), the last 16 encrypt
/// (AES-128-CBC), as in the Fernet spec and Python's `cryptography`.
package struct FernetKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key id only, never the key.
    package var description: String { "FernetKey(id \(id))" }
    package var debugDescription: String { description }

    let signingKey: [UInt8]
    let encryptionKey: [UInt8]

    /// First 8 hex digits of SHA-256 over the raw 32 key bytes: safe to log and to
    /// show in `check`, it identifies a key without revealing it.
    package let id: String

    /// Parses a key as `Fernet.generate_key()` writes it (URL-safe base64 of 32 bytes).
    /// Surrounding whitespace is ignored.
    package init(base64 text: String) throws(FernetError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw .invalidKey("empty; expected 32 bytes of URL-safe base64") }
        guard var raw = Base64URL.decode(trimmed) else {
            throw .invalidKey("not URL-safe base64 (expected 44 characters of A-Z a-z 0-9 - _ ending in =)")
        }
        defer { OpenSSL.cleanse(&raw) }
        guard raw.count == 32 else {
            throw .invalidKey("must be 32 bytes of URL-safe base64, got \(raw.count)")
        }
        try self.init(raw: raw)
    }

    /// A key from its 32 raw bytes.
    package init(raw: [UInt8]) throws(FernetError) {
        guard raw.count == 32 else { throw .invalidKey("must be 32 bytes, got \(raw.count)") }
        signingKey = Array(raw[0..<16])
        encryptionKey = Array(raw[16..<32])
        id = Fingerprint.hex(of: raw)
    }

    /// A new random key, from `RAND_bytes`.
    package static func generate() throws(FernetError) -> FernetKey {
        do {
            var raw = try OpenSSL.randomBytes(32)
            defer { OpenSSL.cleanse(&raw) }
            return try FernetKey(raw: raw)
        } catch let error as CryptoError {
            throw .crypto(error.description)
        } catch {
            throw .crypto("\(error)")
        }
    }

    /// The key in the text form Python's `Fernet.generate_key()` prints. For `keygen`
    /// only: never log it.
    package var base64: String { Base64URL.encode(signingKey + encryptionKey) }
}
