import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// Interop with the real `cryptography.fernet` both ways: the data providerd reads
/// was written by Python, and Python tools must read what providerd writes.
@Suite("Fernet interop with Python's cryptography", .enabled(if: TestEnvironment.pythonTestsEnabled))
struct FernetPythonInteropTests {
    static let plaintexts: [[UInt8]] = [
        [],
        Array("sk-proj-abc123".utf8),
        Array("héllo wörld 🔑 ключ 鍵".utf8),
        (0..<10_240).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) },
        Array(#"it's "quoted" $HOME ${X} `cmd` \back\slash # = "#.utf8),
    ]

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    @Test("tokens made by Python decrypt to the same bytes")
    func pythonToSwift() throws {
        let key = try FernetKey.generate()
        let input = try JSONSerialization.data(withJSONObject: Self.plaintexts.map(Self.b64))
        let output = try ProcessRunner.python(
            """
            import base64, json, sys
            from cryptography.fernet import Fernet
            f = Fernet(sys.argv[1].encode())
            print(json.dumps([f.encrypt(base64.b64decode(p)).decode() for p in json.load(sys.stdin)]))
            """, [key.base64], stdin: [UInt8](input))
        let tokens = try JSONDecoder().decode([String].self, from: Data(output.stdout))
        #expect(tokens.count == Self.plaintexts.count)
        for (token, plaintext) in zip(tokens, Self.plaintexts) {
            #expect(try Fernet.decrypt(token, key: key) == plaintext)
        }
    }

    @Test("tokens made by providerd decrypt in Python, alone and through MultiFernet")
    func swiftToPython() throws {
        let key = try FernetKey.generate()
        let old = try FernetKey.generate()
        let tokens = try Self.plaintexts.map { try Fernet.encrypt($0, key: key) }
        let input = try JSONSerialization.data(withJSONObject: tokens)
        let output = try ProcessRunner.python(
            """
            import base64, json, sys
            from cryptography.fernet import Fernet, MultiFernet
            f = Fernet(sys.argv[1].encode())
            m = MultiFernet([Fernet(sys.argv[2].encode()), f])
            tokens = json.load(sys.stdin)
            print(json.dumps([[base64.b64encode(f.decrypt(t)).decode(), base64.b64encode(m.decrypt(t)).decode()] for t in tokens]))
            """, [key.base64, old.base64], stdin: [UInt8](input))
        let decrypted = try JSONDecoder().decode([[String]].self, from: Data(output.stdout))
        #expect(decrypted.count == Self.plaintexts.count)
        for (pair, plaintext) in zip(decrypted, Self.plaintexts) {
            #expect(pair == [Self.b64(plaintext), Self.b64(plaintext)])
        }
    }

    @Test("keyring new,old: reads Python's old tokens, writes tokens only the new key opens")
    func rotation() throws {
        let new = try FernetKey.generate()
        let old = try FernetKey.generate()
        let output = try ProcessRunner.python(
            """
            import sys
            from cryptography.fernet import Fernet
            print(Fernet(sys.argv[1].encode()).encrypt(b"legacy-secret").decode())
            """, [old.base64])
        let keyring = FernetKeyring(keys: [new, old])
        let opened = try keyring.decrypt(output.stdoutText)
        #expect(opened.plaintext == Array("legacy-secret".utf8))
        #expect(opened.keyIndex == 1)

        let token = try keyring.encrypt("fresh-secret")
        let check = try ProcessRunner.python(
            """
            import sys
            from cryptography.fernet import Fernet, InvalidToken
            print(Fernet(sys.argv[1].encode()).decrypt(sys.argv[3].encode()).decode())
            try:
                Fernet(sys.argv[2].encode()).decrypt(sys.argv[3].encode())
                print("old key opened it")
            except InvalidToken:
                print("old key refused")
            """, [new.base64, old.base64, token])
        #expect(check.stdoutText == "fresh-secret\nold key refused\n")
    }

    @Test("keys from Python's generate_key are accepted, and ours by Python")
    func keys() throws {
        let output = try ProcessRunner.python("from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")
        let key = try FernetKey(base64: output.stdoutText)
        #expect(key.base64 == output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        let ours = try FernetKey.generate()
        _ = try ProcessRunner.python(
            "import sys; from cryptography.fernet import Fernet; Fernet(sys.argv[1].encode())",
            [ours.base64])
    }
}
