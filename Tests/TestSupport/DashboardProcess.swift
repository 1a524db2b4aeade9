import Foundation
import ProviderdCore

/// `providerd dashboard` on a loopback port of its own, over a fresh migrated
/// database, with an admin token (user `alice`) and a viewer token (user `victor`)
/// in 0600 files, as an operator would set it up.
package final class DashboardProcess: @unchecked Sendable {
    // @unchecked: immutable after init; the process is stopped by its deinit.
    package let database: TestDatabase
    package let directory: TemporaryDirectory
    package let adminToken: String
    package let viewerToken: String
    package let encryptionKey: String
    package let port: Int
    package private(set) var process: DaemonProcess
    let environment: [String: String]
    package var base: String { "http://127.0.0.1:\(port)" }
    package var cli: ProviderdCLI { ProviderdCLI(databaseURL: database.url, encryptionKey: encryptionKey) }

    /// `database` and `encryptionKey` share a sidecar's (a `providerd run` in the same test).
    package init(
        allowWrites: Bool = true, environment extra: [String: String] = [:], database: TestDatabase? = nil, encryptionKey: String? = nil
    ) throws {
        self.database = try database ?? TestDatabase()
        directory = try TemporaryDirectory()
        let setup = ProviderdCLI(databaseURL: self.database.url)
        try setup.succeed(["migrate"])
        self.encryptionKey = try encryptionKey ?? setup.succeed(["keygen"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        adminToken = try Self.token(setup, user: "alice")
        viewerToken = try Self.token(setup, user: "victor")
        for (file, user, token) in [("admin.tokens", "alice", adminToken), ("viewer.tokens", "victor", viewerToken)] {
            let path = directory.path + "/" + file
            _ = FileManager.default.createFile(atPath: path, contents: Data("# \(file)\n\(user):\(token)\n".utf8), attributes: [.posixPermissions: 0o600])
        }
        port = try Self.freePort()
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": directory.path, "LANG": "C.UTF-8"]
        environment["DATABASE_URL"] = self.database.url
        environment["ARCHON_ENCRYPTION_KEY"] = self.encryptionKey
        environment["PROVIDERD_DASHBOARD_TOKEN_FILE"] = directory.path + "/admin.tokens"
        environment["PROVIDERD_DASHBOARD_VIEWER_TOKEN_FILE"] = directory.path + "/viewer.tokens"
        environment["PROVIDERD_DASHBOARD_ALLOW_WRITES"] = allowWrites ? "true" : "false"
        environment["PROVIDERD_DASHBOARD_LISTEN"] = "127.0.0.1:\(port)"
        environment.merge(extra) { $1 }
        self.environment = environment
        process = try Self.start(environment: environment, log: directory.path + "/dashboard.log")
    }

    static func start(environment: [String: String], log: String) throws -> DaemonProcess {
        let process = try DaemonProcess(arguments: [], environment: environment, logPath: log, command: ["dashboard"])
        let started = DaemonProcess.eventually(timeout: 30) { process.log.contains("dashboard listening") || !process.isRunning }
        guard started, process.isRunning else { throw TestSupportError("providerd dashboard did not start: \(process.log)") }
        return process
    }

    /// SIGTERM, then the same dashboard again (same database, tokens and port).
    package func restart() throws {
        guard process.stop() == 0 else { throw TestSupportError("providerd dashboard did not stop cleanly: \(process.log)") }
        process = try Self.start(environment: environment, log: directory.path + "/dashboard-\(UUID().uuidString.prefix(8)).log")
    }

    deinit { _ = process.stop() }

    static func token(_ cli: ProviderdCLI, user: String) throws -> String {
        let line = try cli.succeed(["dashboard", "token", "--user", user]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        return String(line.split(separator: ":").last ?? "")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw TestSupportError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// A request as a script makes it: `Authorization: Bearer`.
    package func call(_ method: String, _ path: String, token: String? = nil, headers: [String: String] = [:], body: String? = nil) throws -> HTTPReply {
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try HTTPCall.run(method, base + path, headers: headers, body: body)
    }

    /// Logs in as a browser does; returns the cookie header value and the CSRF token.
    package func login(_ token: String) throws -> (cookie: String, csrf: String) {
        let reply = try call("POST", "/api/v1/session", body: #"{"token":"\#(token)"}"#)
        guard reply.status == 200, let setCookie = reply.header("set-cookie"), let csrf = reply.json?["csrf_token"] as? String else {
            throw TestSupportError("login failed: \(reply.status) \(reply.body)")
        }
        return (String(setCookie.split(separator: ";")[0]), csrf)
    }

    package var log: String { process.log }
}
