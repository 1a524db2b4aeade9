import Foundation
import NIOPosix
import TestSupport
import Testing

@testable import ProviderdCore

/// The usage socket against clients that misbehave on purpose: no client may
/// stall the others, grow the daemon without bound, or take its socket.
@Suite("Usage socket under attack")
struct UsageServerAttackTests {
    typealias Running = UsageServerTests.Running

    static let record = #"{"service_name":"s","model_string":"openai:gpt-4o","input_tokens":1}"#

    @Test("a 4 MiB line of 300,000 unknown keys is refused by the field cap, and another client is answered")
    func manyKeys() async throws {
        let running = try await Running()
        let path = running.path
        try await onThread {
            var line = #"{"service_name":"s","model_string":"openai:gpt-4o""#
            for n in 0..<300_000 { line += ",\"k\(n)\":0" }
            line += "}\n"
            let attacker = try UnixSocketClient(path: path)
            try attacker.send(line)
            let other = try UnixSocketClient(path: path)
            #expect(try other.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
            #expect(try attacker.readLine() == #"{"ok":false,"error":"an object holds at most 1000 fields providerd does not use"}"#)
            // Up to the cap, unknown keys are still ignored (and repeats still refused).
            var fine = #"{"service_name":"s","model_string":"openai:gpt-4o""#
            for n in 0..<1_000 { fine += ",\"k\(n)\":{\"deep\":[1,2]}" }
            #expect(try attacker.request(fine + "}") == #"{"ok":true}"#)
            #expect(
                try attacker.request(#"{"service_name":"s","model_string":"openai:gpt-4o","x":1,"x":2}"#)
                    == #"{"ok":false,"error":"key \"x\" is given twice"}"#)
        }
        try await running.stop()
    }

    @Test("a client that writes and never reads: the server stops reading from it; others are served; every line it sent is answered")
    func neverReads() async throws {
        let running = try await Running()
        let path = running.path
        try await onThread {
            // Millions of replies read line by line: on a loaded two-core machine the
            // server's reply tasks can fall 20 s behind without losing one.
            let attacker = try UnixSocketClient(path: path, receiveTimeout: 90)
            let flags = fcntl(attacker.fd, F_GETFL)
            _ = fcntl(attacker.fd, F_SETFL, flags | O_NONBLOCK)
            let chunk = [UInt8](repeating: UInt8(ascii: "\n"), count: 65_536)
            var sent = 0
            // Push empty lines (each answered by a 60-byte error) until the server stops taking them.
            while sent < 64 << 20 {
                let count = chunk.withUnsafeBytes { Glibc.send(attacker.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if count > 0 {
                    sent += count
                    continue
                }
                guard errno == EAGAIN else { break }
                var descriptor = pollfd(fd: attacker.fd, events: Int16(POLLOUT), revents: 0)
                if poll(&descriptor, 1, 1_500) == 0 { break }
            }
            #expect(sent < 8 << 20, "the server kept reading \(sent) bytes from a client that reads nothing")
            let other = try UnixSocketClient(path: path)
            #expect(try other.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
            _ = fcntl(attacker.fd, F_SETFL, flags)
            var replies = 0
            do {
                while replies < sent, let reply = try attacker.readLine() {
                    #expect(reply.hasPrefix(#"{"ok":false,"error":"empty line"#))
                    replies += 1
                }
            } catch {
                Issue.record("after \(replies) of \(sent) replies: \(error)")
            }
            #expect(replies == sent)
        }
        try await running.stop()
    }

    @Test("usage.max_connections, every place active: one more is told why and closed; a freed place is taken again")
    func connectionCap() async throws {
        let running = try await Running(evictableAfter: 600) { $0.maxConnections = 3 }
        let path = running.path
        try await onThread {
            let held = try (0..<3).map { _ in try UnixSocketClient(path: path) }
            for client in held { #expect(try client.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#) }
            let extra = try UnixSocketClient(path: path)
            #expect(try extra.readLine() == #"{"ok":false,"error":"too many connections (usage.max_connections is 3); try again later"}"#)
            #expect(try extra.readLine() == nil)
            shutdown(held[0].fd, Int32(SHUT_RDWR))  // not close(): the client's deinit closes its descriptor
            #expect(
                DaemonProcess.eventually(timeout: 5) {
                    (try? UnixSocketClient(path: path).request(#"{"op":"ping"}"#)) == #"{"ok":true,"pong":true}"#
                })
            withExtendedLifetime(held) {}
        }
        try await running.stop()
    }

    @Test(
        "usage.max_connections taken by silent connections: a newcomer gets the place of the one idle the longest and is answered; a busy one keeps its place")
    func idlePlacesGiveWay() async throws {
        let running = try await Running(evictableAfter: 0.2) { $0.maxConnections = 3 }
        let path = running.path
        try await onThread {
            let silent = try (0..<3).map { _ in try UnixSocketClient(path: path) }
            #expect(try silent[1].request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
            Thread.sleep(forTimeInterval: 0.5)
            // silent[0] connected first and never spoke: it is the one idle the longest.
            let newcomer = try UnixSocketClient(path: path)
            #expect(try newcomer.request(Self.record) == #"{"ok":true}"#)
            #expect(try silent[0].readLine() == nil, "the longest-idle connection was not the one closed")
            #expect(try silent[1].request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
        }
        try await running.stop()
    }

    @Test("usage.idle_timeout: a silent connection is closed; a talking one is not")
    func idleTimeout() async throws {
        // Generous margins: the whole suite runs in parallel on two cores.
        let running = try await Running { $0.idleTimeout = 5 }
        let path = running.path
        try await onThread {
            let silent = try UnixSocketClient(path: path)
            let talking = try UnixSocketClient(path: path)
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(7) {
                Thread.sleep(forTimeInterval: 0.1)
                #expect(try talking.request(#"{"op":"ping"}"#) == #"{"ok":true,"pong":true}"#)
            }
            #expect(try silent.readLine() == nil)
        }
        try await running.stop()
    }

    @Test("a half-close after a complete line and an unterminated one: both answered, both spooled, then end of stream")
    func halfClose() async throws {
        let running = try await Running()
        let path = running.path
        try await onThread {
            let client = try UnixSocketClient(path: path)
            try client.send(Self.record + "\n" + Self.record.replacingOccurrences(of: "\"input_tokens\":1", with: "\"input_tokens\":2"))
            shutdown(client.fd, Int32(SHUT_WR))
            #expect(try client.readLine() == #"{"ok":true}"#)
            #expect(try client.readLine() == #"{"ok":true}"#)
            #expect(try client.readLine() == nil)
            let torn = try UnixSocketClient(path: path)
            try torn.send(#"{"service_name":"s","model_"#)
            shutdown(torn.fd, Int32(SHUT_WR))
            #expect(try torn.readLine()?.hasPrefix(#"{"ok":false,"error":"invalid JSON"#) == true)
            #expect(try torn.readLine() == nil)
        }
        #expect(try await running.spooled().map(\.inputTokens).sorted() == [1, 2])
        try await running.stop()
    }

    @Test("a line of exactly usage.max_line_bytes ending in CRLF is taken")
    func crlfAtTheLimit() async throws {
        let running = try await Running(maxLineBytes: 1_024)
        let path = running.path
        try await onThread {
            let head = #"{"service_name":"s","model_string":"openai:gpt-4o","pad":""#
            let line = head + String(repeating: "p", count: 1_024 - head.utf8.count - 2) + "\"}"
            #expect(line.utf8.count == 1_024)
            let client = try UnixSocketClient(path: path)
            try client.send(line + "\r\n")
            #expect(try client.readLine() == #"{"ok":true}"#)
        }
        try await running.stop()
    }

    @Test("a second server on a socket a live one listens on is refused; the first keeps serving; a stale socket file is taken over")
    func socketTakeover() async throws {
        let first = try await Running()
        await #expect { try await Running(directory: first.directory) } throws: {
            "\($0)".contains("is in use: another process listens on it") && "\($0)".contains(first.path)
        }
        let path = first.path
        #expect(try await onThread { try UnixSocketClient(path: path).request(#"{"op":"ping"}"#) } == #"{"ok":true,"pong":true}"#)
        try await first.stop()

        // A socket file nobody listens on (a killed daemon's) is replaced.
        let stale = try TemporaryDirectory()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        _ = try UnixSocketAddress(path: stale.file("usage.sock")).withSockaddr { bind(fd, $0, $1) }
        close(fd)
        let second = try await Running(directory: stale)
        let secondPath = second.path
        #expect(try await onThread { try UnixSocketClient(path: secondPath).request(#"{"op":"ping"}"#) } == #"{"ok":true,"pong":true}"#)
        try await second.stop()

        // Something that is not a socket is never removed.
        let occupied = try TemporaryDirectory()
        try Data("keep".utf8).write(to: URL(fileURLWithPath: occupied.file("usage.sock")))
        await #expect { try await Running(directory: occupied) } throws: { "\($0)".contains("exists and is not a socket") }
        #expect(try String(contentsOfFile: occupied.file("usage.sock"), encoding: .utf8) == "keep")
    }

    @Test("unfinished lines share one budget: the client that would pass it is told and closed; the others finish; the budget comes back")
    func unfinishedLinesBudget() async throws {
        let running = try await Running(lineBudget: 1 << 20)
        let path = running.path
        try await onThread {
            let head = #"{"service_name":"s","model_string":"openai:gpt-4o","pad":""#
            let part = head + String(repeating: "p", count: 400_000)
            let first = try UnixSocketClient(path: path), second = try UnixSocketClient(path: path)
            try first.send(part)
            try second.send(part)
            Thread.sleep(forTimeInterval: 0.3)
            let third = try UnixSocketClient(path: path)
            try third.send(part)
            #expect(
                try third.readLine()
                    == #"{"ok":false,"error":"providerd holds too many unfinished lines of all clients; closing the connection, send again later"}"#)
            #expect(try third.readLine() == nil)
            // Complete lines are not held against the budget.
            #expect(try UnixSocketClient(path: path).request(Self.record) == #"{"ok":true}"#)
            try first.send("\"}\n")
            try second.send("\"}\n")
            #expect(try first.readLine() == #"{"ok":true}"#)
            #expect(try second.readLine() == #"{"ok":true}"#)
            let again = try UnixSocketClient(path: path)
            try again.send(part + "\"}\n")
            #expect(try again.readLine() == #"{"ok":true}"#)
        }
        try await running.stop()
    }
}
