import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// SIGHUP with a changed config file: each reload class as an operator meets it.
// Each body runs on a thread of its own (`onThread`): it blocks on processes,
// sockets and waits, and a blocked cooperative thread would stall the suite's
// in-process servers.
@Suite("Reload: live settings take effect, restart-class ones are named once", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DaemonReloadTests {
    func writeConfig(_ path: String, url: String, maxLineBytes: Int = 4 << 20) throws {
        try Data("database:\n  url: \(url)\nusage:\n  max_line_bytes: \(maxLineBytes)\n".utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test("database.url A → B: the env file follows B and the next usage record lands in B, not A")
    func databaseMoves() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let other = try TestDatabase()
            let cliB = ProviderdCLI(databaseURL: other.url, encryptionKey: fixture.key.base64)
            try cliB.succeed(["migrate"])
            try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-database-a")
            try cliB.succeed(["keys", "set", "openai"], stdin: "sk-database-b")
            let config = fixture.directory.file("providerd.yaml")
            try writeConfig(config, url: fixture.url)
            fixture.withoutEnvironment = ["DATABASE_URL"]
            let daemon = try fixture.start(["--config", config])
            _ = try fixture.waitReady()
            #expect(fixture.envFileEventually(contains: "sk-database-a"))
            let client = try UnixSocketClient(path: fixture.socket)
            #expect(try client.request(#"{"service_name":"moved","model_string":"openai:gpt-4o","input_tokens":1,"id":"in-a"}"#) == #"{"ok":true}"#)
            #expect(DaemonProcess.eventually { (try? DaemonUsageTests.totals(fixture.url, service: "moved").requests) == 1 })

            try writeConfig(config, url: other.url)
            let mark = fixture.notify.all.count
            daemon.signal(SIGHUP)
            #expect(fixture.envFileEventually(contains: "sk-database-b"), "\(daemon.log.suffix(3_000))")
            // systemd holds the unit in "reloading" until READY=1: it must come after the new session's render.
            let reloading = try fixture.notify.wait(after: mark) { $0.fields["RELOADING"] == "1" }
            _ = try fixture.notify.wait(after: reloading.index) { $0.fields["READY"] == "1" }
            #expect(try client.request(#"{"service_name":"moved","model_string":"openai:gpt-4o","input_tokens":1,"id":"in-b"}"#) == #"{"ok":true}"#)
            #expect(
                DaemonProcess.eventually { (try? DaemonUsageTests.totals(other.url, service: "moved").requests) == 1 },
                "\(daemon.log.suffix(3_000))")
            #expect(try DaemonUsageTests.totals(fixture.url, service: "moved").requests == 1)
            #expect(daemon.stop() == 0)
        }
    }

    @Test("usage.max_line_bytes changed: the log names it once as needing a restart, over two reloads; the running limit stays")
    func restartClassNamedOnce() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let config = fixture.directory.file("providerd.yaml")
            try writeConfig(config, url: fixture.url, maxLineBytes: 4096)
            fixture.withoutEnvironment = ["DATABASE_URL"]
            let daemon = try fixture.start(["--config", config])
            let first = try fixture.waitReady()
            _ = first
            try writeConfig(config, url: fixture.url, maxLineBytes: 8192)
            let count = fixture.notify.all.count
            daemon.signal(SIGHUP)
            _ = try fixture.waitReady(after: count)
            let again = fixture.notify.all.count
            daemon.signal(SIGHUP)
            _ = try fixture.waitReady(after: again)
            let line = "usage.max_line_bytes changed in the configuration; it takes effect at the next restart"
            #expect(DaemonProcess.eventually { daemon.log.contains(line) })
            #expect(daemon.log.components(separatedBy: line).count == 2, "\(daemon.log.suffix(3_000))")
            #expect(!daemon.log.contains("database.url changed"))
            // Still the limit it started with: a 5,000-byte line is refused.
            let client = try UnixSocketClient(path: fixture.socket)
            let long = #"{"service_name":"s","model_string":"openai:gpt-4o","x":""# + String(repeating: "a", count: 5_000) + #""}"#
            #expect(try client.request(long)?.contains("longer than 4096 bytes") == true)
            #expect(daemon.stop() == 0)
        }
    }
}
