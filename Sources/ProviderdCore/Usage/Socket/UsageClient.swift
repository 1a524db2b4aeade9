import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking client for the usage socket (`providerd usage push`): one line out,
/// one reply line back.
package enum UsageClient {
    /// The request line for one record, as the protocol names the fields.
    package static func line(for record: UsageRecord, timestamp: String?) -> [UInt8] {
        var line: [UInt8] = Array(#"{"service_name":"#.utf8)
        SpoolLine.appendString(record.serviceName, to: &line)
        line += Array(#","model_string":"#.utf8)
        SpoolLine.appendString(record.modelString, to: &line)
        line += Array(
            ",\"input_tokens\":\(record.inputTokens),\"output_tokens\":\(record.outputTokens),\"cache_read_tokens\":\(record.cacheReadTokens),\"cache_write_tokens\":\(record.cacheWriteTokens),\"request_count\":\(record.requestCount)"
                .utf8)
        if let id = record.id {
            line += Array(#","id":"#.utf8)
            SpoolLine.appendString(id, to: &line)
        }
        if let timestamp {
            line += Array(#","timestamp":"#.utf8)
            SpoolLine.appendString(timestamp, to: &line)
        }
        return line + Array("}".utf8)
    }

    package static func send(line: String, socket path: String) throws -> String {
        let fd = try connect(path)
        defer { close(fd) }
        let payload = Array((line + "\n").utf8)
        var offset = 0
        while offset < payload.count {
            // send(2) with MSG_NOSIGNAL, which swift-system does not offer: a daemon that
            // closes first must give EPIPE here, not kill the command with SIGPIPE.
            let count = payload[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SystemError("send", path: path) }
            offset += count
        }
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let descriptor = FileDescriptor(rawValue: fd)
        while !reply.contains(UInt8(ascii: "\n")) {
            // swift-system retries EINTR. An error or the end of the stream ends the
            // reply as before: what is not a whole `{"ok":true...}` line fails the command.
            guard let count = try? buffer.withUnsafeMutableBytes({ try descriptor.read(into: $0) }), count > 0 else { break }
            reply += buffer[0..<count]
        }
        return String(decoding: reply.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Whether a process accepts connections on the stream socket at `path` now.
    package static func isListening(_ path: String) -> Bool {
        guard let fd = try? connect(path) else { return false }
        close(fd)
        return true
    }

    /// A connected stream socket to `path`; the caller closes it. On failure the
    /// socket is closed here and the error names the path.
    package static func connect(_ path: String) throws(SystemError) -> Int32 {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemError("socket", path: path) }
        let address: UnixSocketAddress
        do { address = try UnixSocketAddress(path: path) } catch {
            close(fd)
            throw error
        }
        while true {
            let connected = address.withSockaddr { Glibc.connect(fd, $0, $1) }
            if connected == 0 { return fd }
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            throw SystemError("connect to the usage socket", path: path, code: code)
        }
    }
}
