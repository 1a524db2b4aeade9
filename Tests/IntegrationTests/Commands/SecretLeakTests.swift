import Foundation
import Testing
import TestSupport
@testable import ProviderdCore

@Suite("No secret in any command's output", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct SecretLeakTests {
    @Test("every command, at trace log level, in table and JSON form: no API key, no encryption key")
    func noLeaks() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let old = try FernetKey.generate()
        let cli = ProviderdCLI(databaseURL: database.url, encryptionKey: "\(key.base64),\(old.base64)",
                               extra: ["PROVIDERD_LOG_LEVEL": "trace"])
        let secret = "sk-LEAKCANARY-\(UUID().uuidString)"
        let rotated = "sk-LEAKCANARY-rotated-\(UUID().uuidString)"
        let forbidden = [secret, rotated, "LEAKCANARY", key.base64, old.base64]

        var outputs: [(String, ProcessOutput)] = []
        func record(_ arguments: [String], stdin: String = "") throws {
            outputs.append((arguments.joined(separator: " "), try cli.run(arguments, stdin: stdin)))
        }
        try record(["migrate"])
        try record(["keys", "set", "openai", "--header", "X-Org=acme"], stdin: secret)
        try record(["keys", "set", "anthropic", "--json"], stdin: secret + "\n")
        try record(["keys", "set", "Bad!"], stdin: secret)
        try record(["keys", "list"])
        try record(["keys", "list", "--json"])
        try record(["keys", "rotate", "openai"], stdin: rotated)
        try record(["keys", "rotate", "openai", "--json"], stdin: rotated)
        try record(["keys", "deactivate", "anthropic"])
        try record(["models", "set", "rag_agent", "openai:gpt-4o"])
        try record(["models", "list", "--json"])
        try record(["models", "bulk-update", "--from", "openai", "--to", "azure"])
        try record(["reencrypt"])
        try record(["reencrypt", "--json"])
        try record(["encrypt"], stdin: secret)
        try record(["keys", "set", "groq"], stdin: secret + "\u{7}")

        #expect(outputs.count == 16)
        for (command, output) in outputs {
            for text in forbidden {
                #expect(!output.stdoutText.contains(text), "\(command): stdout holds a secret")
                #expect(!output.stderrText.contains(text), "\(command): stderr holds a secret")
            }
        }
        // The one place a secret may appear: decrypt's stdout, and only there.
        let token = try database.connect().query("SELECT encrypted_key FROM api_keys WHERE provider = 'openai'").rows[0]["encrypted_key"]!
        let decrypted = try cli.succeed(["decrypt"], stdin: token)
        #expect(decrypted.stdoutText == rotated)
        #expect(!decrypted.stderrText.contains("LEAKCANARY"))
    }
}
