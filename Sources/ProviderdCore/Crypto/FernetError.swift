/// Why a Fernet key or token was refused. No case ever carries the key, the token
/// or a plaintext: these errors end up in logs and on terminals.
package enum FernetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The key is not 32 bytes of URL-safe base64.
    case invalidKey(String)
    /// The token is not URL-safe base64, is too short, or has the wrong version byte.
    case malformedToken(String)
    /// The HMAC did not match under any key tried: wrong key, or a tampered token.
    case invalidSignature(triedKeyIDs: [String])
    /// The MAC matched but the ciphertext did not decrypt (bad padding).
    case invalidCiphertext
    /// The token is older than the allowed TTL.
    case expired
    /// The token's timestamp is further in the future than the allowed clock skew.
    case futureTimestamp
    /// An encryption was asked of an empty keyring.
    case noKeys
    /// libcrypto failed.
    case crypto(String)

    package var description: String {
        switch self {
        case .invalidKey(let why):
            return "invalid Fernet key: \(why)"
        case .malformedToken(let why):
            return "invalid Fernet token: \(why)"
        case .invalidSignature(let ids):
            let tried = ids.isEmpty ? "no key" : "key id \(ids.joined(separator: ", "))"
            return "invalid Fernet token: signature does not match (tried \(tried)); wrong key or altered token"
        case .invalidCiphertext:
            return "invalid Fernet token: ciphertext does not decrypt (bad padding)"
        case .expired:
            return "invalid Fernet token: older than the allowed TTL"
        case .futureTimestamp:
            return "invalid Fernet token: timestamp too far in the future (clock skew over 60 s)"
        case .noKeys:
            return "no Fernet key configured"
        case .crypto(let operation):
            return "Fernet: \(operation)"
        }
    }
}
