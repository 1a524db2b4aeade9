import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// A stop that systemd never has to SIGKILL, and a watchdog that tells a wait on
/// the database from a dead loop.
@Suite("The stop is bounded; a wait on the database is not a dead loop", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct BoundedStopTests {
    /// A session holding an ACCESS EXCLUSIVE lock on api_keys until it commits.
    static func lockAPIKeys(_ url: String) throws -> PostgresConnection {
        let holder = try PostgresConnection(ConnectionOptions(conninfo: url))
        try holder.query("BEGIN")
        try holder.query("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE")
        return holder
    }

    /// A change the render loop reads api_keys for, then waits until it waits on the lock.
    static func renderBlocked(_ fixture: DaemonFixture) throws -> Bool {
        try fixture.cli.succeed(["models", "set", "blocked_agent", "openai:gpt-4o"])
        return UsageFaultTests.flusherWaitsOnLock(fixture.url)
    }

    @Test("SIGTERM while a render waits on a locked api_keys: exit 0 within two seconds, not at the statement timeout")
    func stopDuringLockedRender() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-locked")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let holder = try Self.lockAPIKeys(fixture.url)
        #expect(try Self.renderBlocked(fixture))
        let stop = ContinuousClock.now
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 40) == 0)
        let took = ContinuousClock.now - stop
        #expect(took < .seconds(2), "stop took \(took) while a render waited on a lock")
        try holder.query("ROLLBACK")
        #expect(fixture.envText().contains("OPENAI_API_KEY=sk-locked"))
    }

    @Test("a render blocked on a lock for longer than WatchdogSec: WATCHDOG=1 keeps coming (no gap reaches WATCHDOG_USEC), then the render completes")
    func watchdogDuringLockedRender() throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["WATCHDOG_USEC"] = "3000000"
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let holder = try Self.lockAPIKeys(fixture.url)
        #expect(try Self.renderBlocked(fixture))
        let mark = fixture.notify.all.count
        Thread.sleep(forTimeInterval: 8)
        try holder.query("ROLLBACK")
        #expect(DaemonProcess.eventually { fixture.mapText().contains("blocked_agent") })
        let pings = fixture.notify.all[mark...].filter { $0.fields["WATCHDOG"] == "1" }.map(\.time)
        #expect(pings.count >= 4, "\(pings.count) pings in 8 s")
        let gaps = zip(pings.dropFirst(), pings).map { $0.timeIntervalSince($1) }
        #expect((gaps.max() ?? 99) < 2.5, "a gap of \(gaps.max() ?? 99) s between pings against WATCHDOG_USEC 3 s")
        #expect(daemon.stop() == 0)
    }

    @Test(
        "PostgreSQL frozen (SIGSTOP) with a flush and a poll in flight: SIGTERM exits within usage.stop_flush_timeout and a little; every acknowledged record counts after a restart"
    )
    func stopWithFrozenDatabase() async throws {
        let fixture = try DaemonFixture(ownCluster: true)
        fixture.extraEnvironment["PROVIDERD_STOP_FLUSH_TIMEOUT"] = "3"
        fixture.extraEnvironment["PROVIDERD_POLL_INTERVAL"] = "1"
        let cluster = try #require(fixture.cluster)
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        #expect(try await StateDirectoryAccidentTests.send(fixture, 50, service: "frozen", prefix: "before") == 50)
        #expect(StateDirectoryAccidentTests.counted(fixture, service: "frozen", is: 50))
        try cluster.freeze()
        defer { try? cluster.thaw() }
        #expect(try await StateDirectoryAccidentTests.send(fixture, 50, service: "frozen", prefix: "during") == 50)
        try await Task.sleep(for: .seconds(3))  // the flush and a poll now wait on the frozen server
        let stop = ContinuousClock.now
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit(timeout: 60)
        let took = ContinuousClock.now - stop
        #expect(status == 0, "\(daemon.log.suffix(1_500))")
        #expect(took < .seconds(8), "stop took \(took) against a frozen server (stop_flush_timeout 3 s)")
        try cluster.thaw()
        let again = try StateDirectoryAccidentTests.start(fixture)
        #expect(StateDirectoryAccidentTests.counted(fixture, service: "frozen", is: 100))
        #expect(again.stop() == 0)
    }
}
