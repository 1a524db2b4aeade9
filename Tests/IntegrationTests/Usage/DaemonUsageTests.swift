import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd run takes usage: durable, exactly once", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct DaemonUsageTests {
    /// Sends `count` records (ids `prefix-n`) pipelined on one connection in chunks;
    /// returns how many were acknowledged `{"ok":true}` (stops at end of stream).
    static func send(path: String, prefix: String, range: Range<Int>, service: String = "svc") throws -> Set<Int> {
        let client = try UnixSocketClient(path: path)
        var acked = Set<Int>()
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + 500, range.upperBound)
            var payload = ""
            for n in start..<end {
                payload +=
                    "{\"service_name\":\"\(service)\",\"model_string\":\"openai:gpt-4o-mini\",\"input_tokens\":\(n % 100 + 1),\"output_tokens\":2,\"id\":\"\(prefix)-\(n)\"}\n"
            }
            do { try client.send(payload) } catch { return acked }
            for n in start..<end {
                guard let reply = try? client.readLine() else { return acked }
                if reply == #"{"ok":true}"# || reply == #"{"ok":true,"duplicate":true}"# { acked.insert(n) }
            }
            start = end
        }
        return acked
    }

    static func totals(_ url: String, service: String = "svc") throws -> (requests: Int, input: Int, output: Int) {
        let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
        let row = try connection.query(
            """
            SELECT COALESCE(SUM(request_count), 0) AS r, COALESCE(SUM(input_tokens), 0) AS i, COALESCE(SUM(output_tokens), 0) AS o
            FROM model_usage WHERE service_name = $1
            """, [service]
        ).rows[0]
        return (try row.int("r"), try row.int("i"), try row.int("o"))
    }

    static func expectedInput(_ range: Range<Int>) -> Int { range.reduce(0) { $0 + $1 % 100 + 1 } }

    @Test("100,000 records over four pipelined connections: all acknowledged, exactly in model_usage")
    func load() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        let acked = try await withThrowingTaskGroup(of: Int.self) { group in
            for connection in 0..<4 {
                group.addTask {
                    try await onThread { try Self.send(path: socket, prefix: "c\(connection)", range: connection * 25_000..<(connection + 1) * 25_000).count }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(acked == 100_000)
        #expect(DaemonProcess.eventually(timeout: 60) { (try? Self.totals(fixture.url).requests) == 100_000 })
        let totals = try Self.totals(fixture.url)
        #expect(totals.input == Self.expectedInput(0..<100_000))
        #expect(totals.output == 200_000)
        #expect(daemon.stop() == 0)
    }

    @Test("SIGKILL in the middle of a load, then a resend of everything unacknowledged: nothing lost, nothing doubled")
    func killAndResend() async throws {
        let fixture = try DaemonFixture()
        let first = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        let total = 200_000
        let sender = Task { try await onThread { try Self.send(path: socket, prefix: "k", range: 0..<total) } }
        // Kill once the spool holds some records but surely not all of them.
        let spool = fixture.stateDir + "/spool"
        #expect(
            DaemonProcess.eventually(timeout: 30) {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []
                let bytes = names.reduce(0) { sum, name in
                    sum + (((try? FileManager.default.attributesOfItem(atPath: spool + "/" + name))?[.size] as? Int) ?? 0)
                }
                return bytes > 200_000
            })
        first.signal(SIGKILL)
        _ = first.waitForExit()
        let acked = try await sender.value
        #expect(acked.count < total)
        #expect(!acked.isEmpty)

        let mark = fixture.notify.all.count
        let second = try fixture.start()
        _ = try fixture.waitReady(after: mark)
        // The client resends every record it has no ack for, with the same ids; and, to
        // be sure duplicates are caught, also a few it did get an ack for.
        let missing = (0..<total).filter { !acked.contains($0) }
        let resend = Array(acked.prefix(100)) + missing
        try await onThread {
            let client = try UnixSocketClient(path: socket)
            for chunk in stride(from: 0, to: resend.count, by: 500) {
                let part = resend[chunk..<min(chunk + 500, resend.count)]
                try client.send(
                    part.map { n in
                        "{\"service_name\":\"svc\",\"model_string\":\"openai:gpt-4o-mini\",\"input_tokens\":\(n % 100 + 1),\"output_tokens\":2,\"id\":\"k-\(n)\"}\n"
                    }.joined())
                for _ in part { _ = try client.readLine() }
            }
        }
        #expect(DaemonProcess.eventually(timeout: 60) { (try? Self.totals(fixture.url).requests) == total })
        let totals = try Self.totals(fixture.url)
        #expect(totals.input == Self.expectedInput(0..<total))
        #expect(second.stop() == 0)
    }

    @Test("PostgreSQL down in the middle of a load: acks go on; totals exact once it is back")
    func databaseOutage() async throws {
        let fixture = try DaemonFixture(ownCluster: true)
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try Self.send(path: socket, prefix: "a", range: 0..<5_000).count } == 5_000)
        try fixture.cluster!.stop()
        #expect(try await onThread { try Self.send(path: socket, prefix: "b", range: 5_000..<10_000).count } == 5_000)
        try fixture.cluster!.resume()
        #expect(DaemonProcess.eventually(timeout: 60) { (try? Self.totals(fixture.url).requests) == 10_000 })
        #expect(try Self.totals(fixture.url).input == Self.expectedInput(0..<10_000))
        #expect(daemon.stop() == 0)
    }

    @Test("SIGTERM flushes what was acknowledged before exiting")
    func stopFlushes() async throws {
        let fixture = try DaemonFixture()
        fixture.extraEnvironment["PROVIDERD_FLUSH_INTERVAL"] = "3600"
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        #expect(try await onThread { try Self.send(path: socket, prefix: "t", range: 0..<1_000).count } == 1_000)
        #expect(try Self.totals(fixture.url).requests == 0)
        #expect(daemon.stop() == 0)
        #expect(try Self.totals(fixture.url).requests == 1_000)
    }

    @Test("socket activation: the socket systemd hands over is served; no socket file of its own")
    func socketActivation() async throws {
        let fixture = try DaemonFixture()
        let activated = fixture.directory.file("activated.sock")
        var arguments = ["-l", activated]
        for (name, value) in fixture.environment where name != "PATH" { arguments += ["-E", "\(name)=\(value)"] }
        arguments += [TestEnvironment.providerdBinary, "run"]
        let log = fixture.directory.file("activate.log")
        let launcher = try ChildProcess(
            "/usr/bin/systemd-socket-activate", arguments, environment: ["PATH": "/usr/bin:/bin"],
            stdin: "/dev/null", stdout: log, stderr: log)
        #expect(DaemonProcess.eventually { FileManager.default.fileExists(atPath: activated) })
        let reply = try await onThread { () throws -> String? in
            let client = try UnixSocketClient(path: activated)
            return try client.request(#"{"service_name":"activated","model_string":"openai:gpt-4o","input_tokens":7}"#)
        }
        #expect(reply == #"{"ok":true}"#)
        #expect(!FileManager.default.fileExists(atPath: fixture.socket))
        #expect(DaemonProcess.eventually(timeout: 20) { (try? Self.totals(fixture.url, service: "activated").requests) == 1 })
        kill(launcher.pid, SIGTERM)
        #expect(launcher.wait() == 0)
    }

    @Test("rows the database refuses for good are quarantined record by record; the rest flows on")
    func quarantine() async throws {
        let fixture = try DaemonFixture()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try connection.query("ALTER TABLE model_usage ADD CONSTRAINT no_poison CHECK (service_name <> 'poison')")
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let socket = fixture.socket
        let replies = try await onThread { () throws -> [String?] in
            let client = try UnixSocketClient(path: socket)
            try client.send(
                """
                {"service_name":"good","model_string":"openai:gpt-4o","input_tokens":10}
                {"service_name":"poison","model_string":"openai:gpt-4o","input_tokens":20,"id":"p-1"}
                {"service_name":"good","model_string":"openai:gpt-4o","input_tokens":30}

                """)
            return try (0..<3).map { _ in try client.readLine() }
        }
        #expect(replies == [#"{"ok":true}"#, #"{"ok":true}"#, #"{"ok":true}"#])
        #expect(DaemonProcess.eventually(timeout: 20) { (try? Self.totals(fixture.url, service: "good").input) == 40 })
        #expect(try Self.totals(fixture.url, service: "poison").requests == 0)
        let quarantineDirectory = fixture.stateDir + "/spool/quarantine"
        #expect(DaemonProcess.eventually { ((try? FileManager.default.contentsOfDirectory(atPath: quarantineDirectory)) ?? []).count == 1 })
        let file = try FileManager.default.contentsOfDirectory(atPath: quarantineDirectory)[0]
        let kept = try String(contentsOfFile: quarantineDirectory + "/" + file, encoding: .utf8)
        #expect(kept.contains("\"s\":\"poison\"") && !kept.contains("\"s\":\"good\""))
        // The log line follows the commit, which follows the quarantine file by a moment.
        #expect(DaemonProcess.eventually { daemon.log.contains("quarantined") && daemon.log.contains("23514") })
        let stats = try await onThread { try UnixSocketClient(path: socket).request(#"{"op":"stats"}"#) }
        #expect(stats?.contains("\"quarantined\":1") == true, "\(stats ?? "nil")")
        #expect(
            DaemonProcess.eventually {
                fixture.notify.all.contains { $0.fields["STATUS"]?.contains("QUARANTINED 1") == true }
            })
        #expect(daemon.stop() == 0)
    }

    @Test("a spool line that does not read as a record is quarantined and named in the log; an unfinished last line is dropped")
    func unreadableSpoolLines() throws {
        let fixture = try DaemonFixture()
        let instance = "0b7d5c1e-5a4b-4c3d-8e2f-1a2b3c4d5e6f"
        let spool = fixture.stateDir + "/spool"
        try FileManager.default.createDirectory(
            atPath: spool, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: fixture.stateDir)
        try "\(instance)\n".write(toFile: fixture.stateDir + "/instance-id", atomically: true, encoding: .utf8)
        let now = Int64(Date().timeIntervalSince1970)
        func line(_ input: Int64) -> [UInt8] {
            SpoolLine.encode(UsageRecord(serviceName: "spooled", modelString: "openai:gpt-4o", inputTokens: input), timestamp: now)
        }
        let segment =
            line(10) + Array("{\"s\":\"spooled\",\"m\":\"openai:gpt-4o\",\"i\":oops}\n".utf8) + line(30)
            + Array("{\"s\":\"spooled\",\"m\":".utf8)
        #expect(
            FileManager.default.createFile(
                atPath: spool + "/\(instance)-0000000000000001.ndjson", contents: Data(segment),
                attributes: [.posixPermissions: 0o600]))

        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        #expect(DaemonProcess.eventually(timeout: 20) { (try? Self.totals(fixture.url, service: "spooled").input) == 40 })
        let quarantine = spool + "/quarantine/\(instance)-0000000000000001.ndjson"
        #expect(DaemonProcess.eventually { FileManager.default.fileExists(atPath: quarantine) })
        #expect(try String(contentsOfFile: quarantine, encoding: .utf8) == "{\"s\":\"spooled\",\"m\":\"openai:gpt-4o\",\"i\":oops}\n")
        #expect(DaemonProcess.eventually { daemon.log.contains("do not read as usage records") })
        #expect(daemon.log.contains("unfinished last spool line"))
        #expect(daemon.stop() == 0)
    }

    @Test(
        "damaged values in spool lines (Int64.max, a huge timestamp, negative counts) and a segment named ffffffffffffffff: no trap, the lines quarantined, nothing negative counted"
    )
    func damagedSpoolValues() throws {
        let fixture = try DaemonFixture()
        let instance = "0b7d5c1e-5a4b-4c3d-8e2f-1a2b3c4d5e6f"
        let spool = fixture.stateDir + "/spool"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: fixture.stateDir)
        try "\(instance)\n".write(toFile: fixture.stateDir + "/instance-id", atomically: true, encoding: .utf8)
        let now = Int64(Date().timeIntervalSince1970)
        let good = SpoolLine.encode(
            UsageRecord(serviceName: "damaged", modelString: "openai:gpt-4o", inputTokens: 7, id: "ok-1"), timestamp: now, acceptedAt: now)
        let damaged = [
            #"{"s":"damaged","m":"openai:gpt-4o","i":9223372036854775807,"o":9223372036854775807,"cr":0,"cw":0,"n":1,"t":\#(now)}"#,
            #"{"s":"damaged","m":"openai:gpt-4o","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":9223372036854775807}"#,
            #"{"s":"damaged","m":"openai:gpt-4o","i":-500,"o":-5,"cr":0,"cw":0,"n":-3,"t":\#(now)}"#,
            #"{"s":"damaged","m":"openai:gpt-4o","i":1,"o":1,"cr":0,"cw":0,"n":1,"t":\#(now),"id":"x","a":9223372036854775000}"#,
        ]
        let segment = good + Array(damaged.joined(separator: "\n").utf8) + [UInt8(ascii: "\n")]
        let name = "\(instance)-ffffffffffffffff.ndjson"
        #expect(FileManager.default.createFile(atPath: spool + "/" + name, contents: Data(segment), attributes: [.posixPermissions: 0o600]))

        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        #expect(DaemonProcess.eventually(timeout: 20) { (try? Self.totals(fixture.url, service: "damaged").input) == 7 })
        let quarantine = spool + "/quarantine/" + name
        #expect(DaemonProcess.eventually { FileManager.default.fileExists(atPath: quarantine) })
        #expect(try String(contentsOfFile: quarantine, encoding: .utf8) == damaged.joined(separator: "\n") + "\n")
        // New records still go through a segment after the largest sequence.
        #expect(try DaemonUsageTests.send(path: fixture.socket, prefix: "after", range: 0..<10, service: "damaged").count == 10)
        #expect(DaemonProcess.eventually(timeout: 20) { (try? Self.totals(fixture.url, service: "damaged").requests) == 11 })
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        let negative = try connection.query(
            "SELECT count(*) AS n FROM model_usage WHERE request_count < 0 OR input_tokens < 0 OR output_tokens < 0 OR total_tokens < 0"
        ).rows[0]
        #expect(try negative.int("n") == 0)
        #expect(daemon.isRunning)
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains("Fatal error"))
    }
}
