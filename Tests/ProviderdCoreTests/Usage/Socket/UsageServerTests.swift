import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

/// The usage socket end to end on a real Unix socket, with a real spool (no
/// database: intake never waits for one).
@Suite("Usage socket")
struct UsageServerTests {
    final class Running: @unchecked Sendable {
        // @unchecked: set up once, then read.
        let directory: TemporaryDirectory
        let loops: MultiThreadedEventLoopGroup
        let group: MultiThreadedEventLoopGroup
        let intake: UsageIntake
        let server: UsageServer
        var path: String { directory.file("usage.sock") }

        init(
            policy: PeerPolicy = PeerPolicy(), maxLineBytes: Int = 4 << 20, directory: TemporaryDirectory? = nil,
            lineBudget: Int? = nil, evictableAfter: Double? = nil, configure: (inout ProviderdSettings) -> Void = { _ in }
        ) async throws {
            self.directory = try directory ?? TemporaryDirectory()
            loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            let files = try SpoolFiles(directory: self.directory.file("spool-\(UUID().uuidString.prefix(8))"), instance: "test")
            intake = try UsageIntake(files: files, loop: loops.next(), maxBytes: 1 << 30, idWindow: 86_400, now: Int64(time(nil)))
            var settings = ProviderdSettings()
            settings.socket = self.directory.file("usage.sock")
            settings.maxLineBytes = maxLineBytes
            configure(&settings)
            var options = UsageServer.Options(settings: settings)
            options.policy = policy
            if let lineBudget { options.lineBudget = lineBudget }
            if let evictableAfter { options.evictableAfter = evictableAfter }
            server = try await UsageServer.start(options: options, intake: intake, group: group)
        }

        func stop() async throws {
            await server.close()
            try await group.shutdownGracefully()
            try await loops.shutdownGracefully()
        }

        func spooled() async throws -> [UsageRecord] { try await intake.spool.sealedRecords() }
    }

    @Test("the README's exchange, ping, stats, batches, duplicates; the socket file is 0660")
    func exchange() async throws {
        let running = try await Running()
        var info = stat()
        stat(running.path, &info)
        #expect(info.st_mode & 0o777 == 0o660)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        let path = running.path
        try await onThread {
            let client = try UnixSocketClient(path: path)
            #expect(
                try client.request(#"{"service_name":"rag_agent","model_string":"openai:gpt-4o","input_tokens":500,"output_tokens":200}"#) == #"{"ok":true}"#)
            #expect(
                try client.request(#"{"service_name":"rag_agent","model_string":"openai:gpt-4o","input_tokens":-5}"#)
                    == #"{"ok":false,"error":"input_tokens must be an integer from 0 to 1000000000"}"#)
            #expect(try client.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
            #expect(try client.request("[]") == #"{"ok":true,"count":0}"#)
            #expect(
                try client.request(#"[{"service_name":"a","model_string":"x:y","id":"k1"},{"service_name":"a","model_string":"x:y","id":"k2"}]"#)
                    == #"{"ok":true,"count":2}"#)
            #expect(try client.request(#"{"service_name":"a","model_string":"x:y","id":"k1"}"#) == #"{"ok":true,"duplicate":true}"#)
            #expect(
                try client.request(#"[{"service_name":"a","model_string":"x:y","id":"k2"},{"service_name":"a","model_string":"x:y","id":"k3"}]"#)
                    == #"{"ok":true,"count":2,"duplicates":1}"#)
            #expect(try client.request("not json")?.hasPrefix(#"{"ok":false,"error":"invalid JSON"#) == true)
            let stats = try #require(try client.request(#"{"op":"stats"}"#))
            let document = try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any]
            let counters = document?["stats"] as? [String: Any]
            #expect(counters?["accepted"] as? Int == 4)
            #expect(counters?["duplicates"] as? Int == 2)
            #expect(counters?["refused"] as? Int == 2)
        }
        #expect(try await running.spooled().count == 4)
        try await running.stop()
    }

    @Test("1,000 pipelined lines, good and bad mixed: one reply each, in order")
    func pipelined() async throws {
        let running = try await Running()
        let path = running.path
        try await onThread {
            let client = try UnixSocketClient(path: path)
            var payload = ""
            for n in 0..<1_000 {
                payload +=
                    n % 7 == 3
                    ? "{\"service_name\":\"s\",\"model_string\":\"bad\"}\n"
                    : "{\"service_name\":\"s\",\"model_string\":\"a:b\",\"input_tokens\":\(n)}\n"
            }
            try client.send(payload)
            for n in 0..<1_000 {
                let reply = try client.readLine()
                if n % 7 == 3 {
                    #expect(reply?.hasPrefix(#"{"ok":false,"error":"model_string"#) == true, "line \(n): \(reply ?? "nil")")
                } else {
                    #expect(reply == #"{"ok":true}"#, "line \(n): \(reply ?? "nil")")
                }
            }
        }
        let stored = try await running.spooled()
        let refusedLines: Int = (0..<1_000).filter { $0 % 7 == 3 }.count
        let expected: Int = 1_000 - refusedLines
        #expect(stored.count == expected)
        try await running.stop()
    }

    @Test("an over-long line gets an error and a close; the server keeps serving new connections")
    func overLong() async throws {
        let running = try await Running(maxLineBytes: 1_024)
        let path = running.path
        try await onThread {
            let client = try UnixSocketClient(path: path)
            try client.send(String(repeating: "x", count: 5_000))
            #expect(try client.readLine() == #"{"ok":false,"error":"line longer than 1024 bytes; closing the connection"}"#)
            #expect(try client.readLine() == nil)
            let next = try UnixSocketClient(path: path)
            #expect(try next.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
        }
        try await running.stop()
    }

    @Test("a peer outside the allow-list is refused with an error line and a close")
    func allowList() async throws {
        let running = try await Running(policy: PeerPolicy(uids: [getuid() &+ 4242], gids: [getgid() &+ 4242]))
        let path = running.path
        try await onThread {
            let client = try UnixSocketClient(path: path)
            try? client.send(#"{"service_name":"s","model_string":"a:b"}"# + "\n")
            let reply = try client.readLine()
            #expect(reply?.contains("uid \(getuid())") == true, "\(reply ?? "nil")")
            #expect(reply?.contains("may not report usage") == true)
            #expect(try client.readLine() == nil)
        }
        #expect(try await running.spooled().isEmpty)
        try await running.stop()

        let allowed = try await Running(policy: PeerPolicy(uids: [getuid()]))
        let allowedPath = allowed.path
        let pong = try await onThread { try UnixSocketClient(path: allowedPath).request(#"{"op":"ping"}"#) }
        #expect(pong == #"{"ok":true,"pong":true}"#)
        try await allowed.stop()
    }
}
