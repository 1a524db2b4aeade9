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

    @Test(
        "an inode shortage fails the seal and the flushed segment leaves spool/ empty: after a restart the next records count (before: numbering began at 1 again, taken for flushed)",
        .enabled(if: SmallDisk.available))
    func inodeShortage() async throws {
        let fixture = try DaemonFixture()
        let disk = try SmallDisk(bytes: 64 << 20, inodes: 64)
        fixture.extraEnvironment["PROVIDERD_STATE_DIR"] = disk.path + "/state"
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(16 << 20)"
        var daemon = try Self.start(fixture)
        let filled = disk.fillInodes()
        #expect(filled > 0)
        #expect(try await Self.send(fixture, 300, service: "inodes", prefix: "short") == 300)
        #expect(Self.counted(fixture, service: "inodes", is: 300))
        #expect(DaemonProcess.eventually { daemon.log.contains("cannot seal") })
        #expect(daemon.stop() == 0)
        disk.freeInodes(filled)
        daemon = try Self.start(fixture)
        #expect(try await Self.send(fixture, 300, service: "inodes", prefix: "after") == 300)
        #expect(Self.counted(fixture, service: "inodes", is: 600), "the records after the restart were taken for a flushed segment")
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

/// Settings an operator changes between restarts, and a damaged id table on a
/// small state disk.
@Suite("The id table after a changed setting or a damage", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct IdTableAccidentTests {
    @Test("usage.spool_max_bytes raised between restarts: the table grows, and resends of 30,000 ids inside the window stay duplicates")
    func raisedBound() async throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(1 << 20)"
        var daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(daemon.stop() == 0)
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(64 << 20)"
        daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(daemon.log.contains("rebuilt for usage.spool_max_bytes"))
        let socket = fixture.socket
        #expect(try await onThread { try DaemonUsageTests.send(path: socket, prefix: "grow", range: 0..<30_000, service: "grown").count } == 30_000)
        #expect(StateDirectoryAccidentTests.counted(fixture, service: "grown", is: 30_000))
        #expect(try await onThread { try DaemonUsageTests.send(path: socket, prefix: "grow", range: 0..<2_000, service: "grown").count } == 2_000)
        try await Task.sleep(for: .seconds(1))
        #expect(try DaemonUsageTests.totals(fixture.url, service: "grown").requests == 30_000, "resends inside the window counted again")
        #expect(daemon.stop() == 0)
    }

    @Test("usage.spool_max_bytes lowered between restarts: the table shrinks and records are taken, not answered spool full")
    func loweredBound() async throws {
        let fixture = try DaemonFixture()
        var daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(try await StateDirectoryAccidentTests.send(fixture, 10, service: "shrunk", prefix: "before") == 10)
        #expect(daemon.stop() == 0)
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(12 << 20)"
        daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(try await StateDirectoryAccidentTests.send(fixture, 100, service: "shrunk", prefix: "after") == 100)
        #expect(StateDirectoryAccidentTests.counted(fixture, service: "shrunk", is: 110))
        // The ids from before the change are still remembered.
        #expect(try await StateDirectoryAccidentTests.send(fixture, 10, service: "shrunk", prefix: "before") == 10)
        try await Task.sleep(for: .seconds(1))
        #expect(try DaemonUsageTests.totals(fixture.url, service: "shrunk").requests == 110)
        #expect(daemon.stop() == 0)
    }

    static func damage(_ table: String) {
        let fd = open(table, O_WRONLY)
        var bytes = [UInt8](repeating: 0x55, count: 64)
        _ = pwrite(fd, &bytes, 64, 0)
        close(fd)
    }

    static func damagedCopies(_ state: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).filter { $0.hasPrefix("ids.table.damaged-") }
    }

    @Test(
        "the id table damaged twice on a small state disk: one kept copy at most, the daemon starts; with no room left the error names the copy",
        .enabled(if: SmallDisk.available))
    func damagedTwiceOnSmallDisk() async throws {
        let fixture = try DaemonFixture()
        // An 8 MiB bound makes a 2 MiB table; the disk holds three of them but not four.
        let disk = try SmallDisk(bytes: 7 << 20)
        let state = disk.path + "/state"
        fixture.extraEnvironment["PROVIDERD_STATE_DIR"] = state
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(8 << 20)"
        var daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(daemon.stop() == 0)
        for round in 1...2 {
            Self.damage(state + "/ids.table")
            daemon = try StateDirectoryAccidentTests.start(fixture)
            #expect(daemon.log.contains("the id table cannot be read"))
            #expect(Self.damagedCopies(state).count == 1, "round \(round): \(Self.damagedCopies(state))")
            #expect(try await StateDirectoryAccidentTests.send(fixture, 5, service: "small-disk", prefix: "r\(round)") == 5)
            #expect(StateDirectoryAccidentTests.counted(fixture, service: "small-disk", is: 5 * round))
            #expect(daemon.stop() == 0)
            try await Task.sleep(for: .seconds(1.1))  // the next copy gets another name
        }
        // A disk with room for one table only: the error names the kept copy.
        let tiny = try SmallDisk(bytes: 3 << 20)
        fixture.extraEnvironment["PROVIDERD_STATE_DIR"] = tiny.path + "/state"
        daemon = try StateDirectoryAccidentTests.start(fixture)
        #expect(daemon.stop() == 0)
        Self.damage(tiny.path + "/state/ids.table")
        daemon = try fixture.start()
        let status = daemon.waitForExit(timeout: 20)
        #expect(status != nil && status != 0, "\(daemon.log.suffix(800))")
        #expect(daemon.log.contains("the damaged copy \(tiny.path)/state/ids.table.damaged-"), "\(daemon.log.suffix(800))")
    }
}

@Suite("Files a killed write or another user left in the output and state directories", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct LeftoverFileTests {
    @Test("temporary files a SIGKILL left mid-write (they may hold old keys) are removed at the next start; other files stay")
    func staleTemporaries() throws {
        let fixture = try DaemonFixture()
        try fixture.renderCLI.succeed(["keys", "set", "openai"], stdin: "sk-new")
        try FileManager.default.createDirectory(atPath: fixture.stateDir, withIntermediateDirectories: true)
        let leftovers = [
            fixture.envFile + ".tmp-Ab3xY9", fixture.modelMap + ".tmp-q1W2e3",
            fixture.stateDir + "/last-good.fernet.tmp-Zz9Zz9", fixture.stateDir + "/generation.tmp-000000",
        ]
        for path in leftovers {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("OPENAI_API_KEY=sk-old-leaked\n".utf8)))
        }
        let unrelated = fixture.envFile + ".tmp-operator-notes"
        #expect(FileManager.default.createFile(atPath: unrelated, contents: Data("mine\n".utf8)))

        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "\(path) left behind") }
        #expect(FileManager.default.fileExists(atPath: unrelated))
        #expect(daemon.log.contains("removed temporary files"))
        #expect(daemon.stop() == 0)
        #expect(fixture.envText() == "OPENAI_API_KEY=sk-new\nPROVIDERD_GENERATION=1\n")
    }

    @Test(
        "providerd render run by root (cron) in the service user's state directory leaves every file the service's, which then renders",
        .enabled(if: getuid() == 0))
    func renderAsRoot() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-cron")
        let root = try TemporaryDirectory()
        chmod(root.path, 0o755)
        let state = root.file("state"), run = root.file("run")
        for directory in [state, run] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            #expect(chown(directory, 65_534, 65_534) == 0)
        }
        var cli = fixture.cli
        cli.environment["PROVIDERD_ENV_FILE"] = run + "/providers.env"
        cli.environment["PROVIDERD_MODEL_MAP"] = run + "/models.json"
        cli.environment["PROVIDERD_STATE_DIR"] = state
        try cli.succeed(["render"])
        let made = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(made.contains("generation") && made.contains("last-good.fernet") && made.contains("lock"), "\(made)")
        for name in made {
            var info = stat()
            #expect(stat(state + "/" + name, &info) == 0)
            #expect(info.st_uid == 65_534, "\(name) is owned by uid \(info.st_uid)")
        }
        // The service user (here nobody) renders again, as its unit would.
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-cron-2")
        var environment = cli.environment
        environment["HOME"] = "/"
        let asService = try ProcessRunner.run(
            "/usr/sbin/runuser", ["-u", "nobody", "--", TestEnvironment.providerdBinary, "render"], environment: environment)
        #expect(asService.status == 0, "\(asService.stderrText) \(asService.stdoutText)")
        #expect((try? String(contentsOfFile: run + "/providers.env", encoding: .utf8)) == "OPENAI_API_KEY=sk-cron-2\nPROVIDERD_GENERATION=2\n")
    }
}
