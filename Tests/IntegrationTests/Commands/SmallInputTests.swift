import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The small refusals: each bad input gets an error naming the problem, at the door.
@Suite("Small inputs refused with a clear error", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct SmallInputTests {
    @Test("negative numbers, a hex float, a huge --max-tokens, --since after --until")
    func flags() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let cases: [([String], String)] = [
            (
                ["usage", "push", "--service", "s", "--model", "openai:gpt-4o", "--input", "-5", "--socket", "/nonexistent.sock"],
                "input_tokens must be an integer from 0"
            ),
            (["models", "set", "svc", "openai:gpt-4o", "--max-tokens", "-3"], "max_tokens: must be greater than 0, got -3"),
            (["models", "set", "svc", "openai:gpt-4o", "--max-tokens", "3000000000"], "max_tokens: must be at most 2147483647"),
            (["models", "set", "svc", "openai:gpt-4o", "--temperature", "0x1p0"], "'0x1p0' is not a decimal number"),
            (["models", "set", "svc", "openai:gpt-4o", "--temperature", "nan"], "'nan' is not a decimal number"),
            (["models", "set", "svc", "openai:gpt-4o", "--temperature", "-0.5"], "temperature: must be from 0.0 to 2.0"),
            (["usage", "summary", "--since", "2026-02-01", "--until", "2026-01-01"], "2026-02-01 is after --until 2026-01-01"),
        ]
        for (arguments, message) in cases {
            let output = try cli.run(arguments)
            #expect(output.status == 2, "\(arguments): \(output.status) \(output.stderrText)")
            #expect(output.stderrText.contains(message), "\(arguments): \(output.stderrText)")
            #expect(!output.stderrText.contains("Missing value") && !output.stderrText.contains("22003"))
        }
        let rows = try database.connect().query("SELECT 1 FROM model_config WHERE service_name = 'svc'").rows
        #expect(rows.isEmpty)
        try cli.succeed(["models", "set", "svc", "openai:gpt-4o", "--temperature", "1.5e0", "--max-tokens", "2147483647"])
    }

    @Test("a second daemon on a live daemon's socket stops with an error naming the socket; the first keeps serving")
    func secondDaemon() async throws {
        let first = try DaemonFixture()
        let daemon = try first.start()
        _ = try first.waitReady()
        let second = try DaemonFixture()
        second.extraEnvironment["PROVIDERD_SOCKET"] = first.socket
        let intruder = try second.start()
        #expect(intruder.waitForExit(timeout: 20) == 2)
        #expect(intruder.log.contains("is in use: another process listens on it") && intruder.log.contains(first.socket), "\(intruder.log)")
        #expect(!intruder.log.contains("CancellationError"))
        #expect(!intruder.log.contains("database unreachable"))
        let socket = first.socket
        #expect(try await onThread { try UnixSocketClient(path: socket).request(#"{"op":"ping"}"#) } == #"{"ok":true,"pong":true}"#)
        #expect(daemon.stop() == 0)
    }

    @Test("one warning per unknown model, for the first 50; then one line saying the rest are not named")
    func unpricedWarningsCapped() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        try await onThread {
            let client = try UnixSocketClient(path: socket)
            let lines = (0..<80).map { #"{"service_name":"inv","model_string":"acme:invented-\#($0)","input_tokens":1}"# }
            try client.send(lines.joined(separator: "\n") + "\n")
            for _ in lines { #expect(try client.readLine() == #"{"ok":true}"#) }
        }
        #expect(DaemonProcess.eventually(timeout: 20) { (try? DaemonUsageTests.totals(fixture.url, service: "inv").requests) == 80 })
        #expect(DaemonProcess.eventually { daemon.log.contains("no longer named one by one") })
        #expect(daemon.log.components(separatedBy: "no price for model").count - 1 == 50)
        #expect(daemon.stop() == 0)
    }
}
