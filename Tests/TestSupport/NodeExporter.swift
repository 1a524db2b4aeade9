import Foundation

/// Debian's `prometheus-node-exporter` on a loopback port, with only its textfile
/// collector, reading `directory`: what a host's Prometheus would scrape.
package final class NodeExporter: @unchecked Sendable {
    // @unchecked: used from one test at a time.
    package static let binary = "/usr/bin/prometheus-node-exporter"
    package static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    package let port: Int
    private let child: ChildProcess
    private let log: TemporaryDirectory

    package init(textfileDirectory directory: String) throws {
        port = try PgBouncer.freePort()
        log = try TemporaryDirectory()
        child = try ChildProcess(
            Self.binary,
            [
                "--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
                "--collector.textfile.directory=\(directory)",
            ], environment: [:], stdin: "/dev/null", stdout: log.file("out"), stderr: log.file("err"))
        guard DaemonProcess.eventually(timeout: 10, { PgBouncer.accepts(port: self.port) }) else {
            throw TestSupportError("node_exporter did not listen: \((try? String(contentsOfFile: log.file("err"), encoding: .utf8)) ?? "")")
        }
    }

    deinit {
        kill(child.pid, SIGTERM)
        _ = child.wait()
    }

    /// The scrape, as Prometheus would get it.
    package func scrape() throws -> String {
        let output = try ProcessRunner.run("/usr/bin/curl", ["--silent", "--fail", "http://127.0.0.1:\(port)/metrics"])
        guard output.status == 0 else { throw TestSupportError("scrape failed: \(output.stderrText)") }
        return output.stdoutText
    }
}
