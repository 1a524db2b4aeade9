import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The promise under faults an operator meets: a held lock, a stop at the worst
/// moment, quarantine and its way back.
@Suite("Usage under faults: held locks, stops, quarantine and requeue", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct UsageFaultTests {
    static func send(_ socket: String, _ count: Int, service: String, prefix: String) throws -> Int {
        try DaemonUsageTests.send(path: socket, prefix: prefix, range: 0..<count, service: service).count
    }

    static func quarantined(_ fixture: DaemonFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixture.stateDir + "/spool/quarantine")) ?? []).filter { $0.hasSuffix(".ndjson") }
    }

    static func spooled(_ fixture: DaemonFixture) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixture.stateDir + "/spool")) ?? []).filter { $0.hasSuffix(".ndjson") }
    }

    /// A session holding an ACCESS EXCLUSIVE lock on model_usage until it commits.
    static func lockModelUsage(_ url: String) throws -> PostgresConnection {
        let holder = try PostgresConnection(ConnectionOptions(conninfo: url))
        try holder.query("BEGIN")
        try holder.query("LOCK TABLE model_usage IN ACCESS EXCLUSIVE MODE")
        return holder
    }

    /// Waits until a providerd session waits on a lock.
    static func flusherWaitsOnLock(_ url: String) -> Bool {
        DaemonProcess.eventually(timeout: 20) {
            let connection = try? PostgresConnection(ConnectionOptions(conninfo: url))
            let rows = try? connection?.query(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'providerd' AND wait_event_type = 'Lock'"
            ).rows
            return (rows?.count ?? 0) > 0
        }
    }

    @Test("lock_timeout against a held table lock: the records are retried, never quarantined, and all count once it is released")
    func lockTimeoutIsRetried() async throws {
        let fixture = try DaemonFixture()
        let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try admin.query("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', current_database(), '1s'); END $$")
        let holder = try Self.lockModelUsage(fixture.url)
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try Self.send(socket, 100, service: "locked", prefix: "l") } == 100)
        // Several flush attempts fail with 55P03 while the lock is held.
        #expect(DaemonProcess.eventually(timeout: 20) { daemon.log.contains("55P03") })
        try await Task.sleep(for: .seconds(3))
        #expect(Self.quarantined(fixture).isEmpty)
        try holder.query("COMMIT")
        #expect(DaemonProcess.eventually(timeout: 40) { (try? DaemonUsageTests.totals(fixture.url, service: "locked").requests) == 100 })
        #expect(Self.quarantined(fixture).isEmpty)
        #expect(!daemon.log.contains("quarantined"))
        #expect(daemon.stop() == 0)
    }

    @Test("SIGTERM while the flusher waits on a lock: exit within stop_flush_timeout, the records stay spooled and count after the next start")
    func stopWhileLocked() async throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_STOP_FLUSH_TIMEOUT"] = "2"
        let holder = try Self.lockModelUsage(fixture.url)
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try Self.send(socket, 50, service: "stopped", prefix: "s") } == 50)
        #expect(Self.flusherWaitsOnLock(fixture.url))
        let stop = ContinuousClock.now
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: 30) == 0)
        let took = ContinuousClock.now - stop
        #expect(took < .seconds(5), "stop took \(took) with stop_flush_timeout 2 s")
        #expect(Self.quarantined(fixture).isEmpty)
        #expect(!Self.spooled(fixture).isEmpty)
        #expect(daemon.log.contains("stays spooled"))
        try holder.query("COMMIT")

        let mark = fixture.notify.all.count
        let again = try fixture.start()
        _ = try fixture.waitReady(after: mark)
        #expect(DaemonProcess.eventually(timeout: 30) { (try? DaemonUsageTests.totals(fixture.url, service: "stopped").requests) == 50 })
        #expect(again.stop() == 0)
        #expect(try DaemonUsageTests.totals(fixture.url, service: "stopped").requests == 50)
    }

    @Test("a restart after the spool was flushed empty: the records of the next run count too (segment names never repeat)")
    func restartAfterEmptySpool() async throws {
        let fixture = try DaemonFixture()
        let socket = fixture.socket
        for run in 0..<3 {
            let mark = fixture.notify.all.count
            let daemon = try fixture.start()
            _ = try fixture.waitReady(after: mark)
            #expect(try await onThread { try Self.send(socket, 10, service: "restarted", prefix: "r\(run)") } == 10)
            #expect(
                DaemonProcess.eventually(timeout: 20) {
                    (try? DaemonUsageTests.totals(fixture.url, service: "restarted").requests) == 10 * (run + 1)
                })
            #expect(DaemonProcess.eventually { Self.spooled(fixture).count <= 1 })
            #expect(daemon.stop() == 0)
        }
        #expect(try DaemonUsageTests.totals(fixture.url, service: "restarted").requests == 30)
    }

    @Test("usage requeue: quarantined records count exactly once after the cause is fixed; a resend of their ids stays a duplicate")
    func requeue() async throws {
        let fixture = try DaemonFixture()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try connection.query("ALTER TABLE model_usage ADD CONSTRAINT no_poison CHECK (service_name <> 'poison')")
        var daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try DaemonUsageTests.send(path: socket, prefix: "q", range: 0..<20, service: "poison").count } == 20)
        #expect(DaemonProcess.eventually(timeout: 20) { !Self.quarantined(fixture).isEmpty })
        var cli = fixture.cli
        cli.environment["PROVIDERD_STATE_DIR"] = fixture.stateDir
        // Beside a running daemon it refuses, and says what to do.
        let busy = try cli.run(["usage", "requeue"])
        #expect(busy.status != 0 && busy.stderrText.contains("another providerd"), "\(busy.stderrText)")

        #expect(daemon.stop() == 0)
        try connection.query("ALTER TABLE model_usage DROP CONSTRAINT no_poison")
        // After a restart, while still in quarantine, the ids stay taken.
        var mark = fixture.notify.all.count
        daemon = try fixture.start()
        _ = try fixture.waitReady(after: mark)
        let replies = try await onThread {
            try UnixSocketClient(path: socket).request(
                #"{"service_name":"poison","model_string":"openai:gpt-4o-mini","input_tokens":1,"output_tokens":2,"id":"q-3"}"#)
        }
        #expect(replies == #"{"ok":true,"duplicate":true}"#)
        #expect(daemon.stop() == 0)

        let output = try cli.succeed(["usage", "requeue"])
        #expect(output.stdoutText.contains("requeued 20 line(s)"), "\(output.stdoutText)")
        #expect(Self.quarantined(fixture).isEmpty)
        #expect(try cli.succeed(["usage", "requeue"]).stdoutText.contains("nothing in quarantine"))
        mark = fixture.notify.all.count
        daemon = try fixture.start()
        _ = try fixture.waitReady(after: mark)
        #expect(DaemonProcess.eventually(timeout: 20) { (try? DaemonUsageTests.totals(fixture.url, service: "poison").requests) == 20 })
        #expect(try await onThread { try DaemonUsageTests.send(path: socket, prefix: "q", range: 0..<20, service: "poison").count } == 20)
        try await Task.sleep(for: .seconds(1))
        let totals = try DaemonUsageTests.totals(fixture.url, service: "poison")
        #expect(totals.requests == 20)
        #expect(totals.input == DaemonUsageTests.expectedInput(0..<20))
        #expect(Self.quarantined(fixture).isEmpty)
        #expect(daemon.stop() == 0)
    }

    @Test("refused rows set aside, then the COMMIT fails: once a retry counts them, nothing of that segment stays in quarantine to be counted again")
    func failedCommitLeavesNoQuarantine() async throws {
        let fixture = try DaemonFixture()
        let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try admin.query("ALTER TABLE model_usage ADD CONSTRAINT no_poison CHECK (service_name <> 'poison')")
        // Every COMMIT of a flush fails (40001, retried) while the gate is closed: the
        // refused rows' lines are already in quarantine by then.
        try admin.query("CREATE TABLE commit_gate (closed boolean NOT NULL)")
        try admin.query("INSERT INTO commit_gate VALUES (true)")
        try admin.query(
            """
            CREATE FUNCTION refuse_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM commit_gate WHERE closed) THEN
                    RAISE EXCEPTION 'the test holds every COMMIT back' USING ERRCODE = '40001';
                END IF;
                RETURN NULL;
            END $$
            """)
        try admin.query(
            """
            CREATE CONSTRAINT TRIGGER refuse_commit AFTER INSERT ON providerd_flush_log
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_commit()
            """)
        var daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try Self.send(socket, 20, service: "poison", prefix: "p") + Self.send(socket, 30, service: "good", prefix: "g") } == 50)
        #expect(DaemonProcess.eventually(timeout: 30) { daemon.log.contains("40001") && !Self.quarantined(fixture).isEmpty })
        #expect(try DaemonUsageTests.totals(fixture.url, service: "good").requests == 0)

        // The cause is fixed and the COMMIT lets through: the retry refuses nothing.
        try admin.query("ALTER TABLE model_usage DROP CONSTRAINT no_poison")
        try admin.query("UPDATE commit_gate SET closed = false")
        #expect(DaemonProcess.eventually(timeout: 60) { (try? DaemonUsageTests.totals(fixture.url, service: "poison").requests) == 20 })
        #expect(try DaemonUsageTests.totals(fixture.url, service: "good").requests == 30)
        #expect(DaemonProcess.eventually(timeout: 10) { Self.spooled(fixture).count <= 1 })
        #expect(Self.quarantined(fixture).isEmpty, "counted and still quarantined: \(Self.quarantined(fixture))")
        #expect(daemon.stop() == 0)

        // What an operator does next after such a day: requeue, then start again.
        var cli = fixture.cli
        cli.environment["PROVIDERD_STATE_DIR"] = fixture.stateDir
        _ = try cli.succeed(["usage", "requeue"])
        let mark = fixture.notify.all.count
        daemon = try fixture.start()
        _ = try fixture.waitReady(after: mark)
        try await Task.sleep(for: .seconds(3))
        #expect(try DaemonUsageTests.totals(fixture.url, service: "poison").requests == 20)
        #expect(try DaemonUsageTests.totals(fixture.url, service: "good").requests == 30)
        #expect(daemon.stop() == 0)
    }

    @Test(
        "the spool fills the state disk while PostgreSQL is down; once it is back every acknowledged record counts, the spool drains, stats agree",
        .enabled(if: SmallDisk.available))
    func fullStateDisk() async throws {
        let fixture = try DaemonFixture(ownCluster: true)
        // 4 MiB of disk; the spool bound (8 MiB, a quarter of it for the id table) is never the limit.
        let disk = try SmallDisk(bytes: 4 << 20)
        fixture.extraEnvironment["PROVIDERD_STATE_DIR"] = disk.path + "/state"
        fixture.extraEnvironment["PROVIDERD_SPOOL_MAX_BYTES"] = "\(8 << 20)"
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        try fixture.cluster!.stop()
        let socket = fixture.socket
        // Until the disk refuses: every ack is a promise.
        let acked = try await onThread { () throws -> Int in
            var acked = 0
            for chunk in 0..<80 {
                let got = try DaemonUsageTests.send(path: socket, prefix: "f\(chunk)", range: 0..<500, service: "full").count
                acked += got
                if got < 500 { break }
            }
            return acked
        }
        #expect(acked > 0 && acked < 40_000, "acked \(acked)")
        try fixture.cluster!.resume()
        #expect(DaemonProcess.eventually(timeout: 60) { (try? DaemonUsageTests.totals(fixture.url, service: "full").requests) == acked })
        let spool = disk.path + "/state/spool"
        #expect(
            DaemonProcess.eventually(timeout: 20) {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasSuffix(".ndjson") }
                return names.allSatisfy { ((try? FileManager.default.attributesOfItem(atPath: spool + "/" + $0))?[.size] as? Int) == 0 }
            })
        // The counters follow the end of the flush pass by a moment.
        #expect(
            DaemonProcess.eventually(timeout: 10) {
                (try? UnixSocketClient(path: socket).request(#"{"op":"stats"}"#))??.contains("\"flushed\":\(acked)") == true
            })
        // Resends of what was acknowledged are still duplicates: the ids reached ids.log.
        let resent = try await onThread {
            try UnixSocketClient(path: socket).request(
                #"{"service_name":"full","model_string":"openai:gpt-4o-mini","input_tokens":1,"output_tokens":2,"id":"f0-1"}"#)
        }
        #expect(resent == #"{"ok":true,"duplicate":true}"#)
        #expect(daemon.stop() == 0)
        #expect(try DaemonUsageTests.totals(fixture.url, service: "full").requests == acked)
    }

    @Test("idle clients never take the descriptors a render needs: with RLIMIT_NOFILE 256, 220 connections get 184 places, a model change still renders")
    func descriptorLimit() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start(launcher: ["/usr/bin/prlimit", "--nofile=256:256", "--"])
        _ = try fixture.waitReady()
        let (served, refused, clients) = try await Self.crowd(fixture.socket, connections: 220)
        // A slow run lets late arrivals take the places of early ones idle for a second.
        #expect(served >= 184 && served + refused == 220, "served \(served), refused \(refused)")
        #expect(Self.stillOpen(clients) == 184)
        try Self.renderWhileCrowded(fixture, daemon: daemon, clients: clients)
    }

    @Test("descriptors inherited from the launcher are left free: 100 open at start under RLIMIT_NOFILE 256 leave 84 places, a model change still renders")
    func inheritedDescriptors() async throws {
        let fixture = try DaemonFixture()
        // A launcher that leaks descriptors 20...119 into the daemon, as a shell script
        // with `exec 20</dev/null` or a subprocess with close_fds=False would.
        let leak = #"for i in $(seq 20 119); do eval "exec $i</dev/null"; done; exec "$@""#
        let daemon = try fixture.start(launcher: ["/bin/bash", "-c", leak, "leak", "/usr/bin/prlimit", "--nofile=256:256", "--"])
        _ = try fixture.waitReady()
        #expect(daemon.log.contains("descriptors inherited"), "\(daemon.log.suffix(2_000))")
        let (served, refused, clients) = try await Self.crowd(fixture.socket, connections: 220)
        #expect(served >= 84 && served + refused == 220, "served \(served), refused \(refused)")
        #expect(Self.stillOpen(clients) == 84)
        try Self.renderWhileCrowded(fixture, daemon: daemon, clients: clients)
    }

    /// Clients whose connection the server has not closed (nothing to read, no end
    /// of file), after a moment for closes to arrive.
    static func stillOpen(_ clients: [UnixSocketClient]) -> Int {
        Thread.sleep(forTimeInterval: 0.5)
        return clients.filter { client in
            var entry = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
            return poll(&entry, 1, 0) == 0
        }.count
    }

    @Test(
        "1,100 silent connections against the systemd default of 1,024 descriptors: a real client still gets its ack at once, in the place of the one idle the longest"
    )
    func silentCrowd() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start(launcher: ["/usr/bin/prlimit", "--nofile=1024:1024", "--"])
        _ = try fixture.waitReady()
        let socket = fixture.socket
        let silent = try await onThread { (0..<1_100).compactMap { _ in try? UnixSocketClient(path: socket) } }
        #expect(silent.count > 900)
        try await Task.sleep(for: .seconds(1.5))
        let reply = try await onThread {
            try UnixSocketClient(path: socket, receiveTimeout: 5).request(
                #"{"service_name":"crowded","model_string":"openai:gpt-4o-mini","input_tokens":3,"id":"real-1"}"#)
        }
        #expect(reply == #"{"ok":true}"#)
        #expect(DaemonProcess.eventually(timeout: 20) { (try? DaemonUsageTests.totals(fixture.url, service: "crowded").requests) == 1 })
        #expect(Self.stillOpen(silent) < silent.count)
        try Self.renderWhileCrowded(fixture, daemon: daemon, clients: silent)
    }

    /// Opens `connections` clients, each pinging once. A refused client reads the
    /// error line, or (when it was slow to read and the server had closed) a reset,
    /// or finds the backlog full while refused ones wait to be closed: either way
    /// it got no place. The clients stay open for the caller.
    static func crowd(_ socket: String, connections: Int) async throws -> (served: Int, refused: Int, clients: [UnixSocketClient]) {
        try await onThread { () throws -> (Int, Int, [UnixSocketClient]) in
            var served = 0, refused = 0
            var clients: [UnixSocketClient] = []
            for _ in 0..<connections {
                guard let client = try? UnixSocketClient(path: socket) else {
                    refused += 1
                    continue
                }
                clients.append(client)
                let reply = (try? client.request(#"{"op":"ping"}"#)) ?? nil
                if reply == #"{"ok":true,"pong":true}"# { served += 1 } else if reply == nil || reply?.contains("too many connections") == true { refused += 1 }
            }
            return (served, refused, clients)
        }
    }

    /// With the crowd still connected: a model change renders, no descriptor ran
    /// out, and SIGTERM exits 0.
    static func renderWhileCrowded(_ fixture: DaemonFixture, daemon: DaemonProcess, clients: [UnixSocketClient]) throws {
        try fixture.cli.succeed(["models", "set", "fd_agent", "openai:gpt-4o"])
        #expect(DaemonProcess.eventually { fixture.mapText().contains("fd_agent") })
        #expect(!daemon.log.contains("Too many open files"))
        withExtendedLifetime(clients) {}
        daemon.signal(SIGTERM)
        let status = daemon.waitForExit()
        #expect(status == 0, "exit \(status.map(String.init) ?? "none"): \(daemon.log.suffix(4_000))")
    }
}
