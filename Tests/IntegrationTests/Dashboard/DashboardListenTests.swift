import Foundation
import TestSupport
import Testing

/// Behind a reverse proxy: a Unix socket, `localhost` as the only default name, the
/// Secure cookie flag; and the start-up refusals an operator meets.
@Suite("providerd dashboard: listening and starting", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct DashboardListenTests {
    @Test("on a Unix socket (0660) with secure_cookies: served to a proxy naming localhost, the cookie Secure; another name refused")
    func unixSocket() throws {
        let sockets = try TemporaryDirectory()
        let path = sockets.path + "/dashboard.sock"
        let dashboard = try DashboardProcess(
            environment: ["PROVIDERD_DASHBOARD_LISTEN": "unix:\(path)", "PROVIDERD_DASHBOARD_SECURE_COOKIES": "true"])
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o660)
        let models = try HTTPCall.run(
            "GET", "http://localhost/api/v1/models", headers: ["Authorization": "Bearer \(dashboard.viewerToken)"], unixSocket: path)
        #expect(models.status == 200)
        let login = try HTTPCall.run("POST", "http://localhost/api/v1/session", body: #"{"token":"\#(dashboard.adminToken)"}"#, unixSocket: path)
        #expect(login.status == 200 && login.header("set-cookie")?.contains("Secure") == true)
        let foreign = try HTTPCall.run(
            "GET", "http://dash.example.com/api/v1/models", headers: ["Authorization": "Bearer \(dashboard.viewerToken)"], unixSocket: path)
        #expect(foreign.status == 421)
    }

    @Test("no token configured, a token file others can read, a bad listen address: it does not start, and says what to do (exit 2)")
    func refusals() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let none = try cli.run(["dashboard"])
        #expect(none.status == 2 && none.stderrText.contains("providerd dashboard token"), "\(none.stderrText)")
        let directory = try TemporaryDirectory()
        let file = directory.path + "/admin.tokens"
        let line = try cli.succeed(["dashboard", "token", "--user", "ops"]).stdoutText
        FileManager.default.createFile(atPath: file, contents: Data(line.utf8), attributes: [.posixPermissions: 0o644])
        var loose = cli
        loose.environment["PROVIDERD_DASHBOARD_TOKEN_FILE"] = file
        let open = try loose.run(["dashboard"])
        #expect(open.status == 2 && open.stderrText.contains("chmod 600"), "\(open.stderrText)")
        #expect(!open.stderrText.contains(String(line.split(separator: ":").last ?? "")))
        let badListen = try loose.run(["dashboard", "--listen", "8787"])
        #expect(badListen.status == 2 && badListen.stderrText.contains("dashboard.listen"), "\(badListen.stderrText)")
        let badUser = try cli.run(["dashboard", "token", "--user", "a b"])
        #expect(badUser.status == 2)
    }

    @Test("a database without migration 004: it does not start, and names `providerd migrate`")
    func unmigrated() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        let directory = try TemporaryDirectory()
        let file = directory.path + "/admin.tokens"
        let line = try cli.succeed(["dashboard", "token"]).stdoutText
        FileManager.default.createFile(atPath: file, contents: Data(line.utf8), attributes: [.posixPermissions: 0o600])
        var configured = cli
        configured.environment["PROVIDERD_DASHBOARD_TOKEN_FILE"] = file
        let output = try configured.run(["dashboard", "--listen", "127.0.0.1:1"])
        #expect(output.status == 2 && output.stderrText.contains("providerd migrate"), "\(output.stderrText)")
    }
}
