import Foundation

/// `providerd run` (or another long-running command) as a real child process, with its stdout and stderr in a file
/// for log assertions and signals sent with kill(2).
package final class DaemonProcess: @unchecked Sendable {
    // @unchecked: only touched from the test's own task.
    let child: ChildProcess
    package let logPath: String

    /// `launcher` runs before the binary (e.g. `["/usr/bin/prlimit", "--nofile=160:160", "--"]`).
    package init(
        arguments: [String], environment: [String: String], logPath: String, launcher: [String] = [], command subcommand: [String] = ["run"]
    ) throws {
        self.logPath = logPath
        let command = launcher + [TestEnvironment.providerdBinary] + subcommand + arguments
        child = try ChildProcess(
            command[0], Array(command.dropFirst()), environment: environment,
            stdin: "/dev/null", stdout: logPath, stderr: logPath)
    }

    /// A daemon a failed test left running is killed, so that it never outlives the
    /// test (nor keeps the suite waiting).
    deinit {
        if child.poll() == nil {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
    }

    package var pid: Int32 { child.pid }
    package var isRunning: Bool { child.poll() == nil }
    package func signal(_ signal: Int32) { kill(child.pid, signal) }

    /// SIGTERM, then waits for exit: the status, or nil on timeout (0 is a clean stop).
    package func stop(timeout: Double = 15) -> Int32? {
        signal(SIGTERM)
        return waitForExit(timeout: timeout)
    }

    /// Waits for exit; returns the status, or nil on timeout.
    package func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = child.poll() { return status }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return child.poll()
    }

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls until `condition` holds or the timeout passes.
    package static func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try condition()
    }
}
