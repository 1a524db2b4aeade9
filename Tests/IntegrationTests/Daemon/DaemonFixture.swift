import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// One daemon under test: its own database (or cluster), key, run and state
/// directories, and a real NOTIFY_SOCKET.
final class DaemonFixture: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    let database: TestDatabase?
    let cluster: TestCluster?
    let url: String
    let key: FernetKey
    let directory: TemporaryDirectory
    let notify: NotifySocket
    var daemon: DaemonProcess?
    var extraEnvironment: [String: String] = [:]
    /// Variables left out of the daemon's environment (to let a config file decide).
    var withoutEnvironment: Set<String> = []

    var envFile: String { directory.file("run/providers.env") }
    var modelMap: String { directory.file("run/models.json") }
    var stateDir: String { directory.file("state") }
    var socket: String { directory.file("run/usage.sock") }
    var cli: ProviderdCLI { ProviderdCLI(databaseURL: url, encryptionKey: key.base64) }
    /// The CLI with this fixture's output files and state directory, as `render` and `check` use them.
    var renderCLI: ProviderdCLI {
        var cli = cli
        cli.environment["PROVIDERD_ENV_FILE"] = envFile
        cli.environment["PROVIDERD_MODEL_MAP"] = modelMap
        cli.environment["PROVIDERD_STATE_DIR"] = stateDir
        return cli
    }

    init(ownCluster: Bool = false) throws {
        if ownCluster {
            cluster = try TestCluster()
            database = nil
            url = cluster!.url
        } else {
            database = try TestDatabase()
            cluster = nil
            url = database!.url
        }
        key = try FernetKey.generate()
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("run"), withIntermediateDirectories: true)
        notify = try NotifySocket(
            path: directory.file("notify.sock"),
            watching: [
                directory.file("run/providers.env"),
                directory.file("run/models.json"),
            ])
        try cli.succeed(["migrate"])
    }

    /// A second daemon on the same database and key as `other` (two hosts sharing
    /// one PostgreSQL), with directories of its own.
    init(sharingDatabaseOf other: DaemonFixture) throws {
        database = nil
        cluster = nil
        url = other.url
        key = other.key
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("run"), withIntermediateDirectories: true)
        notify = try NotifySocket(
            path: directory.file("notify.sock"),
            watching: [directory.file("run/providers.env"), directory.file("run/models.json")])
    }

    /// Replaces this fixture's state directory with a copy of `source` (`cp -a`:
    /// a backup restored, a volume cloned).
    func copyState(from source: String) throws {
        _ = try ProcessRunner.run("/bin/rm", ["-rf", stateDir])
        let copy = try ProcessRunner.run("/bin/cp", ["-a", source, stateDir])
        guard copy.status == 0 else { throw TestSupportError("cp -a failed: \(copy.stderrText)") }
    }

    var environment: [String: String] {
        var env = ProviderdCLI(databaseURL: url, encryptionKey: key.base64).environment
        env["NOTIFY_SOCKET"] = notify.path
        env["PROVIDERD_ENV_FILE"] = envFile
        env["PROVIDERD_MODEL_MAP"] = modelMap
        env["PROVIDERD_STATE_DIR"] = stateDir
        env["PROVIDERD_SOCKET"] = socket
        env["PROVIDERD_FLUSH_INTERVAL"] = "0.2"
        env["PROVIDERD_POLL_INTERVAL"] = "60"
        env["PROVIDERD_LOG_LEVEL"] = "debug"
        // A 16 MiB id table (a quarter of the spool bound) rather than 256 MiB per test.
        env["PROVIDERD_SPOOL_MAX_BYTES"] = "\(64 << 20)"
        env.merge(extraEnvironment) { $1 }
        for name in withoutEnvironment { env[name] = nil }
        return env
    }

    @discardableResult
    func start(_ arguments: [String] = [], launcher: [String] = []) throws -> DaemonProcess {
        let process = try DaemonProcess(
            arguments: arguments, environment: environment,
            logPath: directory.file("daemon-\(UUID().uuidString.prefix(6)).log"), launcher: launcher)
        daemon = process
        return process
    }

    func waitReady(after: Int = 0) throws -> NotifySocket.Message {
        try notify.wait(after: after) { $0.fields["READY"] == "1" }.message
    }

    func envText() -> String { (try? String(contentsOfFile: envFile, encoding: .utf8)) ?? "" }
    func mapText() -> String { (try? String(contentsOfFile: modelMap, encoding: .utf8)) ?? "" }

    func envFileEventually(contains text: String, timeout: Double = 10) -> Bool {
        DaemonProcess.eventually(timeout: timeout) { envText().contains(text) }
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        stat(path, &info)
        return info.st_mode & 0o7777
    }
}
