import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// libdispatch on Linux renices each worker thread to its QoS class (background
/// 10, utility 2, default 0, user-initiated -2) and its manager thread to -4, and
/// logs "Failed to set thread priority for worker thread" when the kernel refuses
/// (an unprivileged process may not lower its nice value). The daemon's own work
/// runs at the default priority, which asks for no renice; only the manager
/// thread, which every Swift process on Linux starts (the runtime's global
/// queue, ServiceLifecycle's signal sources, timers), asks for one.
@Suite("The daemon's threads ask for no renice", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct ThreadPriorityTests {
    @Test(
        "as an unprivileged user, through a start, usage records, a key change, a reload and a stop: at most libdispatch's manager thread is refused a renice, once, and no worker"
    )
    func noRenice() throws {
        let fixture = try DaemonFixture()
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-priority-1")
        _ = try ProcessRunner.run("/bin/chown", ["-R", "65534:65534", fixture.directory.path])
        #expect(chmod(fixture.notify.path, 0o666) == 0)
        fixture.extraEnvironment["LIBDISPATCH_LOG"] = "stderr"
        fixture.extraEnvironment["HOME"] = "/"
        let daemon = try fixture.start(launcher: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        _ = try fixture.waitReady()
        let acked = try DaemonUsageTests.send(path: fixture.socket, prefix: "priority", range: 0..<200)
        #expect(acked.count == 200)
        try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-priority-2")
        #expect(fixture.envFileEventually(contains: "sk-priority-2"))
        let before = fixture.notify.all.count
        daemon.signal(SIGHUP)
        _ = try fixture.waitReady(after: before)
        Thread.sleep(forTimeInterval: 1)  // flushes, timers, the watchdog's ticks
        #expect(daemon.stop() == 0)

        let refused = daemon.log.split(separator: "\n").filter { $0.contains("Failed to set thread priority") }
        #expect(refused.count <= 1, "\(refused)")
        // EACCES: the kernel refused a lower nice value. EPERM would be a filter
        // refusing setpriority itself, which every worker calls.
        #expect(refused.allSatisfy { $0.hasSuffix("errno=13") }, "\(refused)")
    }
}
