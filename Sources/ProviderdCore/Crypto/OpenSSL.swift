import COpenSSL

/// Failure inside libcrypto. Carries the operation only: never key material or data.
package struct CryptoError: Error, CustomStringConvertible, Sendable, Equatable {
    package let operation: String
    package var description: String { "OpenSSL \(operation) failed" }
}

/// The few libcrypto primitives Fernet and fingerprints need. Every C call and
/// every `EVP_*` handle stays inside this file; callers see byte arrays only.
package enum OpenSSL {
    package static func randomBytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let rc = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard rc == 1 else { throw CryptoError(operation: "RAND_bytes") }
        return bytes
    }

    package static func sha256(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        data.withUnsafeBufferPointer { input in
            digest.withUnsafeMutableBufferPointer { out in
                _ = SHA256(input.baseAddress, input.count, out.baseAddress)
            }
        }
        return digest
    }

    static func hmacSHA256(key: ArraySlice<UInt8>, data: ArraySlice<UInt8>) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var outLength: UInt32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            data.withUnsafeBufferPointer { d in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(
                        EVP_sha256(), k.baseAddress, Int32(k.count), d.baseAddress, d.count,
                        o.baseAddress, &outLength) != nil
                }
            }
        }
        guard ok, outLength == 32 else { throw CryptoError(operation: "HMAC-SHA256") }
        return out
    }

    /// Compares in time that depends on the length only (`CRYPTO_memcmp`).
    package static func constantTimeEqual(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
            }
        }
    }

    /// Overwrites a buffer that held secret material before it is released.
    package static func cleanse(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { providerd_cleanse($0.baseAddress, $0.count) }
    }

    /// AES-128-CBC with PKCS#7 padding, the cipher Fernet specifies.
    static func aes128CBC(
        encrypt: Bool, key: ArraySlice<UInt8>, iv: ArraySlice<UInt8>, input: ArraySlice<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        let operation = encrypt ? "AES-128-CBC encrypt" : "AES-128-CBC decrypt"
        guard key.count == 16, iv.count == 16 else { throw CryptoError(operation: operation) }
        guard let context = EVP_CIPHER_CTX_new() else { throw CryptoError(operation: operation) }
        defer { EVP_CIPHER_CTX_free(context) }

        var output = [UInt8](repeating: 0, count: input.count + 16)
        var written: Int32 = 0
        var final: Int32 = 0
        let ok = key.withUnsafeBufferPointer { k in
            iv.withUnsafeBufferPointer { v in
                input.withUnsafeBufferPointer { i in
                    output.withUnsafeMutableBufferPointer { o -> Bool in
                        guard
                            EVP_CipherInit_ex(
                                context, EVP_aes_128_cbc(), nil, k.baseAddress, v.baseAddress,
                                encrypt ? 1 : 0) == 1
                        else { return false }
                        guard
                            EVP_CipherUpdate(
                                context, o.baseAddress, &written, i.baseAddress,
                                Int32(i.count)) == 1
                        else { return false }
                        return EVP_CipherFinal_ex(context, o.baseAddress! + Int(written), &final) == 1
                    }
                }
            }
        }
        // A failed final step means bad padding: clear whatever was decrypted so far.
        guard ok else {
            OpenSSL.cleanse(&output)
            ERR_clear_error()
            throw CryptoError(operation: operation)
        }
        output.removeSubrange(Int(written + final)...)
        return output
    }
}
