import Foundation
import Testing

@testable import ProviderdCore

@Suite("Fernet tokens")
struct FernetTests {
    let key = try! FernetKey.generate()
    let otherKey = try! FernetKey.generate()

    @Test("round trip keeps exact bytes, including empty and binary plaintexts")
    func roundTrip() throws {
        for plaintext: [UInt8] in [[], Array("sk-abc".utf8), Array(0...255), [UInt8](repeating: 0x41, count: 10_000)] {
            let token = try Fernet.encrypt(plaintext, key: key)
            #expect(try Fernet.decrypt(token, key: key) == plaintext)
        }
    }

    @Test("tokens look like Python's: version 0x80, URL-safe base64 with padding")
    func tokenShape() throws {
        let token = try Fernet.encrypt(Array("hello".utf8), key: key)
        #expect(token.hasPrefix("gAAAAA"))
        #expect(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "=" })
        #expect(token.count % 4 == 0)
    }

    @Test("every kind of bad token is refused with an error and no output")
    func badTokens() throws {
        let secret = "sk-very-secret-value"
        let token = try Fernet.encrypt(Array(secret.utf8), key: key)
        var bytes = Base64URL.decode(token)!

        var tamperedMAC = bytes
        tamperedMAC[tamperedMAC.count - 1] ^= 0x01
        var tamperedCiphertext = bytes
        tamperedCiphertext[30] ^= 0x01
        var wrongVersion = bytes
        wrongVersion[0] = 0x81
        let truncated = Array(bytes.prefix(40))
        bytes.removeLast(5)

        let cases: [(String, String, (FernetError) -> Bool)] = [
            ("tampered MAC", Base64URL.encode(tamperedMAC), { if case .invalidSignature = $0 { true } else { false } }),
            ("tampered ciphertext", Base64URL.encode(tamperedCiphertext), { if case .invalidSignature = $0 { true } else { false } }),
            ("wrong version", Base64URL.encode(wrongVersion), { if case .malformedToken = $0 { true } else { false } }),
            ("truncated", Base64URL.encode(truncated), { if case .malformedToken = $0 { true } else { false } }),
            ("not whole blocks", Base64URL.encode(bytes), { if case .malformedToken = $0 { true } else { false } }),
            ("bad base64", "%%%%" + token.dropFirst(4), { if case .malformedToken = $0 { true } else { false } }),
            ("empty", "", { if case .malformedToken = $0 { true } else { false } }),
            ("whitespace only", "  \n", { if case .malformedToken = $0 { true } else { false } }),
        ]
        for (name, bad, matches) in cases {
            do {
                _ = try Fernet.decrypt(bad, key: key)
                Issue.record("\(name): decrypted")
            } catch {
                #expect(matches(error), "\(name): \(error)")
                #expect(!error.description.contains(secret), "\(name): error names the plaintext")
                #expect(!error.description.contains(String(token.prefix(20))), "\(name): error names the token")
            }
        }
        #expect(throws: FernetError.invalidSignature(triedKeyIDs: [otherKey.id])) {
            try Fernet.decrypt(token, key: otherKey)
        }
    }

    @Test("whitespace around a token is ignored")
    func whitespace() throws {
        let token = try Fernet.encrypt(Array("x".utf8), key: key)
        #expect(try Fernet.decrypt("  \(token)\n", key: key) == Array("x".utf8))
    }

    @Test("TTL and clock skew follow Python's rules")
    func ttl() throws {
        let token = try Fernet.encrypt(Array("x".utf8), key: key, timestamp: 1_000_000)
        #expect(try Fernet.decrypt(token, key: key, ttl: .init(seconds: 60, now: 1_000_060)) == Array("x".utf8))
        #expect(throws: FernetError.expired) { try Fernet.decrypt(token, key: key, ttl: .init(seconds: 60, now: 1_000_061)) }
        #expect(try Fernet.decrypt(token, key: key, ttl: .init(seconds: 60, now: 999_940)) == Array("x".utf8))
        #expect(throws: FernetError.futureTimestamp) { try Fernet.decrypt(token, key: key, ttl: .init(seconds: 60, now: 999_939)) }
        // Without a TTL, time is not checked at all (as Python's decrypt(token)).
        #expect(try Fernet.decrypt(token, key: key) == Array("x".utf8))
    }

    @Test("malformed keys are refused without echoing them")
    func malformedKeys() throws {
        let short = Base64URL.encode([UInt8](repeating: 7, count: 24))
        #expect(throws: FernetError.invalidKey("must be 32 bytes of URL-safe base64, got 24")) { try FernetKey(base64: short) }
        #expect(throws: FernetError.self) { try FernetKey(base64: "") }
        do {
            _ = try FernetKey(base64: "not*a*key*at*all*but*long*enough*to*look*like*one=")
            Issue.record("accepted a bad key")
        } catch {
            #expect(!error.description.contains("not*a*key"))
        }
        let good = try FernetKey.generate()
        #expect(try FernetKey(base64: good.base64).id == good.id)
        #expect(good.base64.count == 44)
        #expect(good.id.count == 8)
    }

    @Test("a keyring encrypts with its first key and decrypts with any")
    func keyring() throws {
        let old = FernetKeyring(keys: [otherKey])
        let both = FernetKeyring(keys: [key, otherKey])
        let oldToken = try old.encrypt("legacy")
        let opened = try both.decrypt(oldToken)
        #expect(opened.plaintext == Array("legacy".utf8))
        #expect(opened.keyIndex == 1)
        #expect(opened.keyID == otherKey.id)
        let newToken = try both.encrypt("fresh")
        #expect(try Fernet.decrypt(newToken, key: key) == Array("fresh".utf8))
        #expect(throws: FernetError.self) { try Fernet.decrypt(newToken, key: otherKey) }
        #expect(throws: FernetError.noKeys) { try FernetKeyring(keys: []).encrypt("x") }
    }
}
