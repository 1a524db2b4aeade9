/// Short, stable, non-reversible identifiers for secrets and keys.
package enum Fingerprint {
    /// First 8 hex digits of SHA-256 over `bytes`.
    package static func hex(of bytes: [UInt8]) -> String {
        Hex.encode(OpenSSL.sha256(bytes).prefix(4))
    }

    /// Full SHA-256 in hex (content digests, not secrets).
    package static func sha256Hex(of bytes: [UInt8]) -> String {
        Hex.encode(OpenSSL.sha256(bytes))
    }

    /// Fingerprint of a secret string (its UTF-8 bytes), as `keys list` shows it.
    package static func hex(of secret: String) -> String { hex(of: Array(secret.utf8)) }
}
