import Foundation
import TestSupport

@testable import ProviderdCore

/// One `providerd exec` under test, running `Tests/Exec/exec_child.py`, which
/// writes each start (with its whole environment), signal and exit into `childDirectory`.
final class ExecFixture: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    static let script = TestCluster.repositoryRoot.appendingPathComponent("Tests/Exec/exec_child.py").path
    let directory: TemporaryDirectory
    var exec: DaemonProcess?

    var childDirectory: String { directory.file("child") }
    /// The env file `--from-env-file` follows.
    var envFile: String { directory.file("run/providers.env") }
    var logPath: String { directory.file("exec.log") }

    init() throws {
        directory = try TemporaryDirectory()
        for sub in ["child", "run"] { try FileManager.default.createDirectory(atPath: directory.file(sub), withIntermediateDirectories: true) }
    }

    /// Replaces the env file as `providerd run` does: a new file renamed into place.
    func writeEnvFile(_ text: String) throws {
        try text.write(toFile: envFile + ".tmp", atomically: false, encoding: .utf8)
        guard rename(envFile + ".tmp", envFile) == 0 else { throw TestSupportError("rename failed") }
    }

    /// `providerd exec OPTIONS -- python3 exec_child.py DIR CHILD...`, or `program` instead of the script.
    @discardableResult
    func start(
        _ options: [String], child: [String] = [], program: [String]? = nil, environment: [String: String] = [:], launcher: [String] = []
    ) throws -> DaemonProcess {
        var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "PROVIDERD_LOG_LEVEL": "debug", "LANG": "C.UTF-8"]
        env.merge(environment) { $1 }
        let command = program ?? (["/usr/bin/python3", Self.script, childDirectory] + child)
        let process = try DaemonProcess(
            arguments: options + ["--"] + command, environment: env, logPath: logPath, launcher: launcher, command: ["exec"])
        exec = process
        return process
    }

    var events: [String] {
        ((try? String(contentsOfFile: childDirectory + "/events.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The pids of every child started so far, in order.
    var starts: [Int32] { events.compactMap { $0.hasPrefix("start ") ? Int32($0.dropFirst(6)) : nil } }

    func waitForStarts(_ count: Int, timeout: Double = 15) -> Bool {
        DaemonProcess.eventually(timeout: timeout) { starts.count >= count }
    }

    func signals(of pid: Int32) -> [String] {
        events.compactMap { line in
            let parts = line.split(separator: " ")
            return parts.count == 3 && parts[0] == "signal" && parts[1] == "\(pid)" ? String(parts[2]) : nil
        }
    }

    /// The whole environment a child started with.
    func environment(of pid: Int32) throws -> [String: String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: childDirectory + "/env-\(pid).json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: String] ?? [:]
    }

    /// Running: a zombie waiting for a slow init to reap it has ended.
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        return ProcStat.all()?.first { $0.pid == pid }.map { !$0.hasExited } ?? false
    }

    /// The processes whose parent is `parent` (from /proc).
    static func children(of parent: Int32) -> [ProcStat] { (ProcStat.all() ?? []).filter { $0.parent == parent } }
}
