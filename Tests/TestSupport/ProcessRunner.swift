import Foundation

/// The result of running a real process.
package struct ProcessOutput: Sendable {
    package let status: Int32
    package let stdout: [UInt8]
    package let stderr: [UInt8]
    package var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    package var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs processes with stdin, stdout and stderr through temporary files, so that no
/// pipe can fill up and deadlock a test.
package enum ProcessRunner {
    package static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [],
        environment: [String: String]? = nil, removing: [String] = []
    ) throws -> ProcessOutput {
        let directory = try TemporaryDirectory()
        let inPath = directory.path + "/stdin", outPath = directory.path + "/stdout", errPath = directory.path + "/stderr"
        _ = FileManager.default.createFile(atPath: inPath, contents: Data(stdin))
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        var env = environment ?? ProcessInfo.processInfo.environment
        for name in removing { env.removeValue(forKey: name) }
        let child = try ChildProcess(executable, arguments, environment: env, stdin: inPath, stdout: outPath, stderr: errPath)
        let status = child.wait()
        return ProcessOutput(
            status: status,
            stdout: [UInt8](try Data(contentsOf: URL(fileURLWithPath: outPath))),
            stderr: [UInt8](try Data(contentsOf: URL(fileURLWithPath: errPath))))
    }

    /// Runs a Python snippet with the test virtual environment's interpreter.
    /// Arguments reach the script as `sys.argv[1:]`.
    package static func python(
        _ script: String, _ arguments: [String] = [], stdin: [UInt8] = [],
        environment: [String: String] = [:]
    ) throws -> ProcessOutput {
        let python = try TestEnvironment.requirePython()
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let output = try run(python, ["-c", script] + arguments, stdin: stdin, environment: env)
        guard output.status == 0 else {
            throw TestSupportError("python failed (\(output.status)): \(output.stderrText)")
        }
        return output
    }
}

/// A directory removed when the value is released.
package final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: immutable after init; deinit removes the directory.
    package let path: String

    package init() throws {
        var template = Array((NSTemporaryDirectory() + "/providerd-test-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let result = mkdtemp(buffer.baseAddress!) else { return nil }
            return String(cString: result)
        }
        guard let created else { throw TestSupportError("mkdtemp failed") }
        path = created
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    package func file(_ name: String) -> String { path + "/" + name }
}
