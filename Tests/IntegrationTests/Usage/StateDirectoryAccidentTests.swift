import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// An operator's ordinary accidents with the state directory: restored from a
/// backup, cloned onto a second host. Acknowledged records must all count, once.
@Suite("The state directory restored or cloned: every acknowledged record counts once", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct StateDirectoryAccidentTests {
    static func send(_ fixture: DaemonFixture, _ count: Int, service: String, prefix: String) async throws -> Int {
        let socket = fixture.socket
        return try await onThread { try DaemonUsageTests.send(path: socket, prefix: prefix, range: 0..<count, service: service).count }
    }

    static func counted(_ fixture: DaemonFixture, service: String, is expected: Int) -> Bool {
        DaemonProcess.eventually(timeout: 30) { (try? DaemonUsageTests.totals(fixture.url, service: service).requests) == expected }
    }

    /// Starts the daemon and waits for its own READY (not one of an earlier run's).
    static func start(_ fixture: DaemonFixture) throws -> DaemonProcess {
        let seen = fixture.notify.all.count
        let daemon = try fixture.start()
        _ = try fixture.waitReady(after: seen)
        #expect(DaemonProcess.eventually(timeout: 10) { daemon.log.contains("usage socket listening") })
        return daemon
    }

    @Test("a state directory restored from a backup: records sent after the restore all count (segment names never come back)")
    func restoredFromBackup() async throws {
        let fixture = try DaemonFixture()
        var daemon = try Self.start(fixture)
        #expect(try await Self.send(fixture, 200, service: "before", prefix: "b") == 200)
        #expect(Self.counted(fixture, service: "before", is: 200))
        #expect(daemon.stop() == 0)
        let backup = try TemporaryDirectory()
        #expect(try ProcessRunner.run("/bin/cp", ["-a", fixture.stateDir, backup.file("state")]).status == 0)

        daemon = try Self.start(fixture)
        #expect(try await Self.send(fixture, 500, service: "after-backup", prefix: "a") == 500)
        #expect(Self.counted(fixture, service: "after-backup", is: 500))
        #expect(daemon.stop() == 0)

        try fixture.copyState(from: backup.file("state"))
        daemon = try Self.start(fixture)
        #expect(try await Self.send(fixture, 500, service: "after-restore", prefix: "r") == 500)
        #expect(Self.counted(fixture, service: "after-restore", is: 500), "records sent after the restore were taken for flushed segments")
        #expect(daemon.stop() == 0)
    }

    @Test("two hosts started from one cloned state directory: both hosts' records count, and each sidecar is in providerd_instances")
    func clonedOntoTwoHosts() async throws {
        let first = try DaemonFixture()
        var daemon = try Self.start(first)
        #expect(try await Self.send(first, 100, service: "golden", prefix: "g") == 100)
        #expect(Self.counted(first, service: "golden", is: 100))
        #expect(daemon.stop() == 0)

        let second = try DaemonFixture(sharingDatabaseOf: first)
        try second.copyState(from: first.stateDir)
        daemon = try Self.start(first)
        let clone = try Self.start(second)
        async let a = Self.send(first, 600, service: "cloned", prefix: "host-a")
        async let b = Self.send(second, 600, service: "cloned", prefix: "host-b")
        #expect(try await a + b == 1_200)
        #expect(Self.counted(first, service: "cloned", is: 1_200), "one clone's segments were taken for the other's")
        #expect(Self.counted(first, service: "golden", is: 100))
        #expect(daemon.stop() == 0)
        #expect(clone.stop() == 0)

        let instance = try String(contentsOfFile: first.stateDir + "/instance-id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let connection = try PostgresConnection(ConnectionOptions(conninfo: first.url))
        let rows = try connection.query("SELECT hostname FROM providerd_instances WHERE instance_id = $1::uuid", [instance]).rows
        #expect(rows.count == 1)
        #expect(try rows.first?.string("hostname") == HostIdentity.current.hostname)
    }
}
