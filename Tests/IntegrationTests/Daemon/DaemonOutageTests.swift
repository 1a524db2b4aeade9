import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd run through PostgreSQL outages and restarts", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct DaemonOutageTests {
    @Test("PostgreSQL stopped: files unchanged, daemon alive, STATUS stale; back: updates flow without a restart")
    func outageAndRecovery() throws {
        let fixture = try DaemonFixture(ownCluster: true)
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-before")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let envBefore = fixture.envText(), mapBefore = fixture.mapText()

        let mark = fixture.notify.all.count
        try fixture.cluster!.stop()
        let stale = try fixture.notify.wait(after: mark) { $0.fields["STATUS"]?.contains("STALE since") == true }
        #expect(stale.message.fields["STATUS"]?.contains("database unreachable") == true)
        Thread.sleep(forTimeInterval: 1)
        #expect(daemon.isRunning)
        #expect(fixture.envText() == envBefore)
        #expect(fixture.mapText() == mapBefore)

        try fixture.cluster!.resume()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-after")
        #expect(fixture.envFileEventually(contains: "OPENAI_API_KEY=sk-after\n", timeout: 40))
        #expect(daemon.log.contains("database reachable again"))
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("sk-before") && !daemon.log.contains("sk-after"))
    }

    @Test("restarted with PostgreSQL down (and /run wiped), it renders from the sealed state and says it is stale")
    func sealedRestart() throws {
        let fixture = try DaemonFixture(ownCluster: true)
        try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-ant-sealed")
        try fixture.cli.succeed(["models", "set", "rag_agent", "anthropic:claude-3-5-haiku-latest"])
        let first = try fixture.start()
        _ = try fixture.waitReady()
        let envBefore = fixture.envText(), mapBefore = fixture.mapText()
        #expect(first.stop() == 0)

        try fixture.cluster!.stop()
        try FileManager.default.removeItem(atPath: fixture.envFile)
        try FileManager.default.removeItem(atPath: fixture.modelMap)
        let sealed = try String(contentsOfFile: fixture.stateDir + "/" + SealedState.fileName, encoding: .utf8)
        #expect(!sealed.contains("sk-ant-sealed"))
        for name in try FileManager.default.contentsOfDirectory(atPath: fixture.stateDir) {
            let text = (try? String(contentsOfFile: fixture.stateDir + "/" + name, encoding: .utf8)) ?? ""
            #expect(!text.contains("sk-ant-sealed") && !text.contains(fixture.key.base64), "\(name) holds a secret")
        }

        let mark = fixture.notify.all.count
        let second = try fixture.start()
        let ready = try fixture.waitReady(after: mark)
        #expect(ready.filesPresent)
        #expect(ready.fields["STATUS"]?.contains("STALE since") == true)
        #expect(fixture.envText() == envBefore)
        #expect(fixture.mapText() == mapBefore)

        try fixture.cluster!.resume()
        try fixture.cli.succeed(["keys", "set", "anthropic"], stdin: "sk-ant-fresh")
        #expect(fixture.envFileEventually(contains: "ANTHROPIC_API_KEY=sk-ant-fresh\n", timeout: 40))
        #expect(second.stop() == 0)
    }

    @Test("no database and no sealed state: EXTEND_TIMEOUT_USEC while waiting, exit 1 after startup.wait, no files")
    func startupWait() throws {
        let fixture = try DaemonFixture(ownCluster: true)
        try fixture.cluster!.stop()
        fixture.extraEnvironment["PROVIDERD_STARTUP_WAIT"] = "2"
        let daemon = try fixture.start()
        _ = try fixture.notify.wait { $0.fields["EXTEND_TIMEOUT_USEC"] != nil }
        #expect(daemon.waitForExit(timeout: 20) == 1)
        #expect(daemon.log.contains("no database within startup.wait"))
        #expect(!fixture.notify.all.contains { $0.fields["READY"] == "1" })
        #expect(!FileManager.default.fileExists(atPath: fixture.envFile))
    }

    @Test(
        "the wall clock stepped an hour back during an outage (libfaketime): reconnecting goes on, STATUS is back to normal within the backoff cap",
        .enabled(if: FileManager.default.fileExists(atPath: Self.libfaketime) || TestEnvironment.isCI))
    func wallClockStepBack() throws {
        let fixture = try DaemonFixture(ownCluster: true)
        let offset = fixture.directory.file("faketime")
        try "+0\n".write(toFile: offset, atomically: true, encoding: .utf8)
        // The wall clock only: CLOCK_MONOTONIC and CLOCK_BOOTTIME do not step.
        fixture.extraEnvironment["LD_PRELOAD"] = Self.libfaketime
        fixture.extraEnvironment["FAKETIME_TIMESTAMP_FILE"] = offset
        fixture.extraEnvironment["FAKETIME_NO_CACHE"] = "1"
        fixture.extraEnvironment["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-clock")
        // Through timeout(1), which forwards SIGTERM and passes the exit status on:
        // exec'd straight from a process that has libfaketime preloaded, the Swift
        // runtime reads no arguments (seen here: `run` printed the usage).
        let daemon = try fixture.start(launcher: ["/usr/bin/timeout", "300"])
        _ = try fixture.waitReady()

        var mark = fixture.notify.all.count
        try fixture.cluster!.stop()
        _ = try fixture.notify.wait(after: mark) { $0.fields["STATUS"]?.contains("database unreachable") == true }
        try "-1h\n".write(toFile: offset, atomically: true, encoding: .utf8)
        Thread.sleep(forTimeInterval: 3)
        mark = fixture.notify.all.count
        try fixture.cluster!.resume()
        let back = try fixture.notify.wait(after: mark, timeout: 45) { $0.fields["STATUS"]?.contains("database ok") == true }
        #expect(!(back.message.fields["STATUS"] ?? "").contains("STALE"))
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-clock-2")
        #expect(fixture.envFileEventually(contains: "OPENAI_API_KEY=sk-clock-2\n", timeout: 10))
        #expect(daemon.stop() == 0)
    }

    static let libfaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
}
