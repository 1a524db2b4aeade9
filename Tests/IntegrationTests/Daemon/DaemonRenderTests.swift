import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd run keeps the files in step", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct DaemonRenderTests {
    @Test("READY arrives on a real datagram socket only after both files exist; 0600 env, 0644 map")
    func readyAfterFiles() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-ready-1")
        let daemon = try fixture.start()
        let ready = try fixture.waitReady()
        #expect(ready.filesPresent)
        let readies = fixture.notify.all.filter { $0.fields["READY"] == "1" }
        #expect(readies.allSatisfy { $0.filesPresent })
        #expect(ready.fields["STATUS"]?.contains("generation 1: 1 provider") == true)
        #expect(DaemonFixture.mode(fixture.envFile) == 0o600)
        #expect(DaemonFixture.mode(fixture.modelMap) == 0o644)
        #expect(fixture.envText() == "OPENAI_API_KEY=sk-ready-1\nPROVIDERD_GENERATION=1\n")
        #expect(fixture.mapText().contains("\"generation\" : 1"))
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("sk-ready-1"))
    }

    @Test("changes reach the files at once with a 60 s poll; a deactivated key leaves; models follow")
    func changesFlow() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-first")
        try fixture.cli.succeed(["keys", "set", "groq"], stdin: "gsk-first")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let started = Date()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-second")
        #expect(fixture.envFileEventually(contains: "OPENAI_API_KEY=sk-second\n"))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(fixture.envText().contains("PROVIDERD_GENERATION=2\n"))

        try fixture.cli.succeed(["keys", "deactivate", "groq"])
        #expect(DaemonProcess.eventually { !fixture.envText().contains("GROQ_API_KEY") })
        try fixture.cli.succeed(["models", "set", "rag_agent", "groq:llama-3.1-8b-instant"])
        #expect(DaemonProcess.eventually { fixture.mapText().contains("\"model\" : \"groq:llama-3.1-8b-instant\"") })
        // Same generation in both files (the map is written first, the env file a moment later).
        #expect(
            DaemonProcess.eventually {
                let generation = fixture.envText().split(separator: "\n").last?.split(separator: "=").last ?? ""
                return fixture.mapText().contains("\"generation\" : \(generation),")
            })
        let map = try JSONSerialization.jsonObject(with: Data(fixture.mapText().utf8)) as! [String: Any]
        let rag = (map["services"] as! [String: [String: Any]])["rag_agent"]!
        #expect(rag["api_key_configured"] as? Bool == false)  // groq deactivated

        #expect(daemon.stop() == 0)
        for secret in ["sk-first", "sk-second", "gsk-first"] { #expect(!daemon.log.contains(secret)) }
    }

    @Test("tricky values read back exactly by bash and dash; a refused value keeps its last good value")
    func trickyValues() throws {
        let fixture = try DaemonFixture()
        let tricky = "sk-\"quoted\" it's #1 = `x` \\ ok"
        try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-a$b 'plain'".replacingOccurrences(of: "'", with: ""))
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-good")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        // A value no line can carry: refused for that provider only.
        // (`keys set` refuses it at the door; another writer of the table may not.)
        try PostgresConnection(ConnectionOptions(conninfo: fixture.url)).query(
            "UPDATE api_keys SET encrypted_key = $1 WHERE provider = 'openai'",
            [try Fernet.encrypt(Array("sk-$bad'mix".utf8), key: fixture.key)])
        try fixture.cli.succeed(["keys", "set", "mistral"], stdin: "mi-\(tricky)".replacingOccurrences(of: "`", with: ""))
        #expect(fixture.envFileEventually(contains: "MISTRAL_API_KEY="))
        #expect(fixture.envText().contains("OPENAI_API_KEY=sk-good\n"))
        for shell in ["/bin/bash", "/bin/dash"] {
            let output = try ProcessRunner.run(
                shell,
                [
                    "-c", "set -a; . \"$1\"; printf '%s\\n%s\\n' \"$ANTHROPIC_API_KEY\" \"$MISTRAL_API_KEY\"",
                    "sh", fixture.envFile,
                ], environment: ["PATH": "/usr/bin:/bin"])
            #expect(output.stdoutText == "sk-a$b plain\nmi-sk-\"quoted\" it's #1 = x \\ ok\n", "\(shell)")
        }
        #expect(DaemonProcess.eventually { daemon.log.contains("provider=openai") })
        #expect(daemon.log.contains("together with a single quote"))
        #expect(!daemon.log.contains("sk-$bad"))
        #expect(!daemon.log.contains("bad'mix"))
        #expect(daemon.stop() == 0)
    }

    @Test("a row that does not decrypt keeps its last good value and the others keep updating")
    func undecryptableRow() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-one")
        try fixture.cli.succeed(["keys", "set", "cohere"], stdin: "co-one")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let stranger = try FernetKey.generate()
        let token = try Fernet.encrypt(Array("sk-foreign".utf8), key: stranger)
        try fixture.cli.succeed(["migrate"])
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try connection.query("UPDATE api_keys SET encrypted_key = $1 WHERE provider = 'openai'", [token])
        try fixture.cli.succeed(["keys", "set", "cohere"], stdin: "co-two")
        #expect(fixture.envFileEventually(contains: "CO_API_KEY=co-two\n"))
        #expect(fixture.envText().contains("OPENAI_API_KEY=sk-one\n"))
        #expect(DaemonProcess.eventually { daemon.log.contains("provider=openai") && daemon.log.contains(fixture.key.id) })
        #expect(!daemon.log.contains(token))
        #expect(!daemon.log.contains("sk-foreign"))
        let status = fixture.notify.all.last { $0.fields["STATUS"] != nil }?.fields["STATUS"] ?? ""
        #expect(status.contains("degraded: openai"))
        #expect(daemon.stop() == 0)
    }

    @Test("a second daemon on the same state directory stops with a clear error")
    func stateDirectoryLock() throws {
        let fixture = try DaemonFixture()
        let first = try fixture.start()
        _ = try fixture.waitReady()
        let second = try fixture.start()
        #expect(second.waitForExit() == 1)
        #expect(second.log.contains("another providerd (pid \(first.pid)) is using the state directory"))
        #expect(first.stop() == 0)
    }
}
