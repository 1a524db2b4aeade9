import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("No secret in any command's output", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct SecretLeakTests {
    @Test("every command, at trace log level, in table and JSON form: no API key, no encryption key")
    func noLeaks() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let old = try FernetKey.generate()
        let cli = ProviderdCLI(
            databaseURL: database.url, encryptionKey: "\(key.base64),\(old.base64)",
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

    @Test("a password planted in database.url, database.listen_url and a key's base URL: never in the daemon's log at any level, STATUS, keys list or check")
    func plantedPasswords() throws {
        let fixture = try DaemonFixture()
        let planted = "PLANTEDpw\(UUID().uuidString.prefix(8))"
        // The test cluster trusts loopback: a password in the URL is accepted and unused.
        guard var url = URLComponents(string: fixture.url) else { throw TestSupportError("test URL") }
        url.password = planted + "db"
        let databaseURL = url.string!
        url.password = planted + "listen"
        fixture.extraEnvironment["DATABASE_URL"] = databaseURL
        fixture.extraEnvironment["PROVIDERD_LISTEN_URL"] = url.string!
        var cli = fixture.cli
        cli.environment["DATABASE_URL"] = databaseURL
        try cli.succeed(["keys", "set", "openai", "--base-url", "https://proxyuser:\(planted)base@proxy.example/v1"], stdin: "sk-planted")
        for level in ["trace", "debug", "info"] {
            fixture.extraEnvironment["PROVIDERD_LOG_LEVEL"] = level
            let mark = fixture.notify.all.count
            let daemon = try fixture.start()
            _ = try fixture.waitReady(after: mark)
            try fixture.cli.succeed(["models", "set", "leak_\(level)", "openai:gpt-4o"])
            #expect(DaemonProcess.eventually { fixture.mapText().contains("leak_\(level)") })
            daemon.signal(SIGHUP)
            #expect(DaemonProcess.eventually { fixture.notify.all.dropFirst(mark).contains { $0.fields["READY"] == "1" } })
            #expect(daemon.stop() == 0)
            #expect(!daemon.log.contains(planted), "the \(level) log holds a planted password")
            if level == "trace" { #expect(daemon.log.contains("password=(hidden)") || !daemon.log.contains("ConnectionOptions")) }
        }
        #expect(!fixture.notify.all.contains { $0.text.contains(planted) })
        for arguments in [["keys", "list"], ["keys", "list", "--json"], ["check"], ["check", "--json"]] {
            var traced = cli
            traced.environment["PROVIDERD_LOG_LEVEL"] = "trace"
            traced.environment["PROVIDERD_STATE_DIR"] = fixture.stateDir
            let output = try traced.run(arguments)
            #expect(!output.stdoutText.contains(planted) && !output.stderrText.contains(planted), "\(arguments)")
        }
        let listed = try cli.succeed(["keys", "list", "--json"]).stdoutText
        #expect(listed.contains("proxyuser:REDACTED@proxy.example"), "\(listed)")
    }
}
