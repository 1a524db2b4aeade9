import Foundation

/// A PostgreSQL cluster of a test's own (via scripts/pg-cluster), for tests that
/// stop and start the server under a running daemon.
package final class TestCluster: @unchecked Sendable {
    // @unchecked: fields fixed at init; stop/resume run the script synchronously.
    package static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("scripts/pg-cluster").path

    package let directory: TemporaryDirectory
    package let url: String

    package init() throws {
        guard TestEnvironment.databaseURL != nil || TestEnvironment.isCI else {
            throw TestSupportError("no PostgreSQL for tests: run them with scripts/test")
        }
        directory = try TemporaryDirectory()
        chmod(directory.path, 0o755)
        let output = try ProcessRunner.run("/bin/bash", [Self.script, "start", directory.file("pg")])
        guard output.status == 0 else { throw TestSupportError("cannot start a cluster: \(output.stderrText)") }
        url = output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit { try? stop() }

    package func stop() throws {
        let output = try ProcessRunner.run("/bin/bash", [Self.script, "stop", directory.file("pg")])
        guard output.status == 0 else { throw TestSupportError("cannot stop the cluster: \(output.stderrText)") }
    }

    /// Every process of the cluster (the postmaster and its children) stopped with
    /// SIGSTOP: a server that accepts connections into its backlog and never
    /// answers, as a hung host does. `thaw()` sends SIGCONT.
    package func freeze() throws { try signalAll(SIGSTOP) }

    package func thaw() throws { try signalAll(SIGCONT) }

    private func signalAll(_ signal: Int32) throws {
        let pidFile = try String(contentsOfFile: directory.file("pg/data/postmaster.pid"), encoding: .utf8)
        guard let postmaster = pidFile.split(separator: "\n").first.flatMap({ Int32($0) }) else {
            throw TestSupportError("no postmaster pid")
        }
        let children = try ProcessRunner.run("/usr/bin/pgrep", ["-P", String(postmaster)]).stdoutText
            .split(separator: "\n").compactMap { Int32($0) }
        // The postmaster first on the way down, last on the way up: it never sees a child's state change.
        for pid in signal == SIGSTOP ? [postmaster] + children : children + [postmaster] { kill(pid, signal) }
    }

    package func resume() throws {
        let output = try ProcessRunner.run("/bin/bash", [Self.script, "resume", directory.file("pg")])
        guard output.status == 0 else { throw TestSupportError("cannot resume the cluster: \(output.stderrText)") }
    }
}
