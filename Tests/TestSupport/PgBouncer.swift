import Foundation

/// A real PgBouncer (Debian's `pgbouncer`) in front of the test cluster, in
/// transaction pooling mode like Supabase's port 6543: LISTEN is accepted through
/// it and delivers nothing. Runs as the postgres user (PgBouncer refuses root);
/// stopped when released.
package final class PgBouncer: @unchecked Sendable {
    // @unchecked: immutable after init; deinit stops the process.
    package static let binary = "/usr/sbin/pgbouncer"
    package static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    package let port: Int
    private let directory: TemporaryDirectory
    private let process: ChildProcess

    /// `upstream`: a URL of the test cluster (postgresql://user@host:port/db).
    package init(upstream: String) throws {
        guard let components = URLComponents(string: upstream), let host = components.host, let upstreamPort = components.port else {
            throw TestSupportError("cannot read host and port of \(upstream)")
        }
        directory = try TemporaryDirectory()
        chmod(directory.path, 0o777)
        port = try Self.freePort()
        let ini = """
            [databases]
            * = host=\(host) port=\(upstreamPort)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory.file("users.txt"))
            pool_mode = transaction
            ignore_startup_parameters = extra_float_digits,options
            logfile = \(directory.file("pgbouncer.log"))

            """
        try Data(ini.utf8).write(to: URL(fileURLWithPath: directory.file("pgbouncer.ini")))
        try Data("\"postgres\" \"\"\n".utf8).write(to: URL(fileURLWithPath: directory.file("users.txt")))
        for file in ["pgbouncer.ini", "users.txt"] { chmod(directory.file(file), 0o644) }
        process = try ChildProcess(
            "/usr/sbin/runuser", ["-u", "postgres", "--", Self.binary, directory.file("pgbouncer.ini")],
            environment: ["PATH": "/usr/bin:/bin"], stdin: "/dev/null",
            stdout: directory.file("stdout.log"), stderr: directory.file("stderr.log"))
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.accepts(port: port) { return }
            if process.poll() != nil { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let log = (try? String(contentsOfFile: directory.file("stderr.log"), encoding: .utf8)) ?? ""
        throw TestSupportError("pgbouncer did not start on port \(port): \(log)")
    }

    deinit {
        kill(process.pid, SIGTERM)
        process.wait()
    }

    /// The upstream URL with the pooler's port.
    package func url(for upstream: String) -> String {
        var components = URLComponents(string: upstream)!
        components.port = port
        return components.string!
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
