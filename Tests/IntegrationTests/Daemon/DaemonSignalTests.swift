import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd run and the systemd notify protocol", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct DaemonSignalTests {
    @Test("SIGHUP: RELOADING=1 with MONOTONIC_USEC in one message, reload, re-render, READY=1")
    func reload() throws {
        let fixture = try DaemonFixture()
        let config = fixture.directory.file("providerd.yaml")
        try "poll:\n  interval: 60\noutput:\n  env_names:\n    - openai=FIRST_NAME\n".write(toFile: config, atomically: true, encoding: .utf8)
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-reload")
        let daemon = try fixture.start(["--config", config])
        _ = try fixture.waitReady()
        #expect(fixture.envText().contains("FIRST_NAME=sk-reload"))

        try "poll:\n  interval: 60\noutput:\n  env_names:\n    - openai=SECOND_NAME\n".write(toFile: config, atomically: true, encoding: .utf8)
        let mark = fixture.notify.all.count
        daemon.signal(SIGHUP)
        let reloading = try fixture.notify.wait(after: mark) { $0.fields["RELOADING"] == "1" }
        #expect(reloading.message.fields["MONOTONIC_USEC"].flatMap(UInt64.init) != nil)
        _ = try fixture.notify.wait(after: reloading.index) { $0.fields["READY"] == "1" }
        #expect(fixture.envText().contains("SECOND_NAME=sk-reload"))
        #expect(!fixture.envText().contains("FIRST_NAME"))

        // A bad value on reload: an error, the running configuration stays, READY again.
        try "output:\n  model_map_mode: banana\n".write(toFile: config, atomically: true, encoding: .utf8)
        let mark2 = fixture.notify.all.count
        daemon.signal(SIGHUP)
        let second = try fixture.notify.wait(after: mark2) { $0.fields["RELOADING"] == "1" }
        _ = try fixture.notify.wait(after: second.index) { $0.fields["READY"] == "1" }
        #expect(daemon.log.contains("reload refused"))
        #expect(daemon.log.contains("output.model_map_mode"))
        #expect(daemon.isRunning)
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-after-bad-reload")
        #expect(fixture.envFileEventually(contains: "SECOND_NAME=sk-after-bad-reload"))

        #expect(daemon.stop() == 0)
    }

    @Test("watchdog: WATCHDOG=1 at half of WATCHDOG_USEC while the loop runs; journal priority prefixes")
    func watchdog() throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["WATCHDOG_USEC"] = "400000"
        fixture.extraEnvironment["JOURNAL_STREAM"] = "8:12345"
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        Thread.sleep(forTimeInterval: 1.5)
        let pings = fixture.notify.all.filter { $0.fields["WATCHDOG"] == "1" }
        #expect(pings.count >= 4, "got \(pings.count) pings")
        #expect(daemon.stop() == 0)
        let lines = daemon.log.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("<") && $0.dropFirst(2).hasPrefix(">") })
        #expect(lines.contains { $0.hasPrefix("<6>ready") })
    }

    @Test("SIGTERM and SIGINT: STOPPING=1, exit 0 within a few seconds, files left in place", arguments: [SIGTERM, SIGINT])
    func stop(signal: Int32) throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-stop")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let started = Date()
        daemon.signal(signal)
        #expect(daemon.waitForExit(timeout: 5) == 0)
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(fixture.notify.all.contains { $0.fields["STOPPING"] == "1" })
        #expect(fixture.envText() == "OPENAI_API_KEY=sk-stop\nPROVIDERD_GENERATION=1\n")

        // A restart with unchanged content writes nothing: same generation, same inode.
        var before = stat()
        stat(fixture.envFile, &before)
        let again = try fixture.start()
        _ = try fixture.waitReady(after: fixture.notify.all.count - 1)
        var after = stat()
        stat(fixture.envFile, &after)
        #expect(before.st_ino == after.st_ino)
        #expect(fixture.envText().hasSuffix("PROVIDERD_GENERATION=1\n"))
        #expect(again.stop() == 0)
    }

    @Test("a bad configuration value stops the start with exit status 2 and names the key")
    func badConfiguration() throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_POLL_INTERVAL"] = "soon"
        let daemon = try fixture.start()
        #expect(daemon.waitForExit() == 2)
        #expect(daemon.log.contains("poll.interval (PROVIDERD_POLL_INTERVAL): 'soon' is not a number of seconds"))
        fixture.extraEnvironment["PROVIDERD_POLL_INTERVAL"] = "60"
        let missing = try fixture.start(["--config", fixture.directory.file("nope.yaml")])
        #expect(missing.waitForExit() == 2)
        #expect(missing.log.contains("nope.yaml"))
        let password = try fixture.start(["--database-url", "postgresql://u:hunter2@127.0.0.1/db"])
        #expect(password.waitForExit() == 2)
        #expect(password.log.contains("--database-url must not contain a password"))
        #expect(!password.log.contains("hunter2"))
    }
}
