import Foundation

/// `providerd run` as a real child process, with its stdout and stderr in a file
/// for log assertions and signals sent with kill(2).
public final class DaemonProcess: @unchecked Sendable {
    // @unchecked: only touched from the test's own task.
    let child: ChildProcess
    public let logPath: String

    public init(arguments: [String], environment: [String: String], logPath: String) throws {
        self.logPath = logPath
        child = try ChildProcess(TestEnvironment.providerdBinary, ["run"] + arguments, environment: environment,
                                 stdin: "/dev/null", stdout: logPath, stderr: logPath)
    }

    public var pid: Int32 { child.pid }
    public var isRunning: Bool { child.poll() == nil }
    public func signal(_ signal: Int32) { kill(child.pid, signal) }

    /// Waits for exit; returns the status, or nil on timeout.
    public func waitForExit(timeout: Double = 15) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = child.poll() { return status }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return child.poll()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Polls until `condition` holds or the timeout passes.
    public static func eventually(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return try condition()
    }
}
