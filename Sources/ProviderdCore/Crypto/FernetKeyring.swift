/// An ordered list of Fernet keys, as Python's `MultiFernet`: the first (primary)
/// key encrypts, every key is tried in order to decrypt. Rotating the encryption
/// key means putting the new key first, running `providerd reencrypt`, then
/// dropping the old key.
package struct FernetKeyring: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The key ids only, never a key.
    package var description: String { "FernetKeyring(\(keyIDs.joined(separator: ", ")))" }
    package var debugDescription: String { description }

    package let keys: [FernetKey]

    package init(keys: [FernetKey]) {
        self.keys = keys
    }

    /// Parses keys in the text form `Fernet.generate_key()` prints.
    package init(base64Keys: [String]) throws(FernetError) {
        var parsed: [FernetKey] = []
        for (index, text) in base64Keys.enumerated() {
            do {
                parsed.append(try FernetKey(base64: text))
            } catch .invalidKey(let why) {
                throw .invalidKey("key \(index + 1) of \(base64Keys.count): \(why)")
            }
        }
        self.init(keys: parsed)
    }

    package var primary: FernetKey? { keys.first }
    /// Key ids in order, for logs and `check`.
    package var keyIDs: [String] { keys.map(\.id) }

    package func encrypt(_ plaintext: [UInt8]) throws(FernetError) -> String {
        guard let primary else { throw .noKeys }
        return try Fernet.encrypt(plaintext, key: primary)
    }

    package func encrypt(_ plaintext: String) throws(FernetError) -> String {
        try encrypt(Array(plaintext.utf8))
    }

    /// The plaintext and which key opened it (its index; 0 is the primary).
    package struct Opened: Sendable {
        package var plaintext: [UInt8]
        package var keyIndex: Int
        package var keyID: String
    }

    /// Tries each key in order. A token no key signed is `.invalidSignature` naming
    /// the key ids tried; the token itself is never part of an error.
    package func decrypt(_ token: String, ttl: Fernet.TTL? = nil) throws(FernetError) -> Opened {
        guard !keys.isEmpty else { throw .noKeys }
        let parsed = try Fernet.parse(token)
        try Fernet.checkTime(parsed, ttl: ttl)
        for (index, key) in keys.enumerated() where try Fernet.verify(parsed, key: key) {
            return Opened(plaintext: try Fernet.open(parsed, key: key), keyIndex: index, keyID: key.id)
        }
        throw .invalidSignature(triedKeyIDs: keyIDs)
    }

    /// Decrypts a token whose plaintext must be UTF-8 text (API keys are).
    package func decryptString(_ token: String) throws(FernetError) -> (text: String, keyIndex: Int) {
        var opened = try decrypt(token)
        defer { OpenSSL.cleanse(&opened.plaintext) }
        guard let text = String(validating: opened.plaintext, as: UTF8.self) else {
            throw .malformedToken("plaintext is not UTF-8 text")
        }
        return (text, opened.keyIndex)
    }
}
