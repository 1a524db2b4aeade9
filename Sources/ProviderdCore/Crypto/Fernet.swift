/// The Fernet token format (github.com/fernet/spec), byte for byte as Python's
/// `cryptography.fernet` writes and reads it:
///
///     0x80 | timestamp (8 bytes, big-endian seconds) | IV (16) | AES-128-CBC ciphertext | HMAC-SHA256 (32)
///
/// The HMAC covers everything before it and is checked in constant time before
/// anything is decrypted. The whole token is URL-safe base64 with padding.
package enum Fernet {
    static let version: UInt8 = 0x80
    /// Python's `_MAX_CLOCK_SKEW`: a token may claim to be this far in the future.
    package static let maxClockSkew: Int64 = 60

    /// A time-to-live check, as `Fernet.decrypt(token, ttl=...)` does it.
    package struct TTL: Sendable {
        package var seconds: Int64
        /// The current time in Unix seconds; a parameter so tests can pin it.
        package var now: Int64
        package init(seconds: Int64, now: Int64) {
            self.seconds = seconds
            self.now = now
        }
    }

    /// Encrypts with `key`. `timestamp` and `iv` are parameters for the spec's test
    /// vectors; callers normally leave them to the clock and `RAND_bytes`.
    package static func encrypt(
        _ plaintext: [UInt8], key: FernetKey, timestamp: Int64? = nil, iv: [UInt8]? = nil
    ) throws(FernetError) -> String {
        let time = timestamp ?? currentUnixTime()
        let vector: [UInt8]
        if let iv {
            guard iv.count == 16 else { throw .crypto("IV must be 16 bytes, got \(iv.count)") }
            vector = iv
        } else {
            do { vector = try OpenSSL.randomBytes(16) } catch { throw .crypto(error.description) }
        }
        var token: [UInt8] = [version]
        token.reserveCapacity(1 + 8 + 16 + plaintext.count + 16 + 32)
        withUnsafeBytes(of: UInt64(bitPattern: time).bigEndian) { token.append(contentsOf: $0) }
        token += vector
        do {
            token += try OpenSSL.aes128CBC(
                encrypt: true, key: key.encryptionKey[...], iv: vector[...],
                input: plaintext[...])
            token += try OpenSSL.hmacSHA256(key: key.signingKey[...], data: token[...])
        } catch {
            throw .crypto(error.description)
        }
        return Base64URL.encode(token)
    }

    /// The token's bytes after the format checks that need no key.
    struct Parsed {
        let bytes: [UInt8]
        var timestamp: Int64 {
            bytes[1..<9].reduce(0) { ($0 << 8) | Int64($1) }
        }
        var signed: ArraySlice<UInt8> { bytes[..<(bytes.count - 32)] }
        var mac: ArraySlice<UInt8> { bytes[(bytes.count - 32)...] }
        var iv: ArraySlice<UInt8> { bytes[9..<25] }
        var ciphertext: ArraySlice<UInt8> { bytes[25..<(bytes.count - 32)] }
    }

    /// Decodes and checks the token's framing. Whitespace around the token is ignored.
    static func parse(_ token: String) throws(FernetError) -> Parsed {
        let text = token.trimmingWhitespace()
        guard !text.isEmpty else { throw .malformedToken("empty") }
        guard let bytes = Base64URL.decode(text) else { throw .malformedToken("not URL-safe base64") }
        guard bytes.first == version else { throw .malformedToken("unknown version byte (expected 0x80)") }
        // version + timestamp + IV + one AES block + HMAC
        guard bytes.count >= 1 + 8 + 16 + 16 + 32 else {
            throw .malformedToken("too short (\(bytes.count) bytes)")
        }
        guard (bytes.count - 57) % 16 == 0 else {
            throw .malformedToken("ciphertext is not a whole number of AES blocks")
        }
        return Parsed(bytes: bytes)
    }

    /// Checks the TTL and clock skew as Python does (only when a TTL is given).
    static func checkTime(_ parsed: Parsed, ttl: TTL?) throws(FernetError) {
        guard let ttl else { return }
        let stamp = parsed.timestamp
        if stamp &+ ttl.seconds < ttl.now { throw .expired }
        if ttl.now &+ maxClockSkew < stamp { throw .futureTimestamp }
    }

    /// Verifies the MAC with `key`; false means this key did not sign the token.
    static func verify(_ parsed: Parsed, key: FernetKey) throws(FernetError) -> Bool {
        do {
            let expected = try OpenSSL.hmacSHA256(key: key.signingKey[...], data: parsed.signed)
            return OpenSSL.constantTimeEqual(expected[...], parsed.mac)
        } catch {
            throw .crypto(error.description)
        }
    }

    /// Decrypts a token whose MAC `key` has verified.
    static func open(_ parsed: Parsed, key: FernetKey) throws(FernetError) -> [UInt8] {
        do {
            return try OpenSSL.aes128CBC(
                encrypt: false, key: key.encryptionKey[...], iv: parsed.iv,
                input: parsed.ciphertext)
        } catch {
            throw .invalidCiphertext
        }
    }

    /// Decrypts with a single key.
    package static func decrypt(_ token: String, key: FernetKey, ttl: TTL? = nil) throws(FernetError) -> [UInt8] {
        try FernetKeyring(keys: [key]).decrypt(token, ttl: ttl).plaintext
    }

    static func currentUnixTime() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
