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

    package func resume() throws {
        let output = try ProcessRunner.run("/bin/bash", [Self.script, "resume", directory.file("pg")])
        guard output.status == 0 else { throw TestSupportError("cannot resume the cluster: \(output.stderrText)") }
    }
}
