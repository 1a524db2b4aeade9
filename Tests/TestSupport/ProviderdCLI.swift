import Foundation

/// Runs the built `providerd` binary as an operator would, with an environment
/// made only of what the test passes (plus PATH and HOME), so that nothing from the
/// developer's shell leaks in.
package struct ProviderdCLI: Sendable {
    package var environment: [String: String]

    package init(databaseURL: String? = nil, encryptionKey: String? = nil, extra: [String: String] = [:]) {
        var env = ["PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]
        if let databaseURL { env["DATABASE_URL"] = databaseURL }
        if let encryptionKey { env["ARCHON_ENCRYPTION_KEY"] = encryptionKey }
        env.merge(extra) { $1 }
        environment = env
    }

    @discardableResult
    package func run(_ arguments: [String], stdin: String = "") throws -> ProcessOutput {
        try ProcessRunner.run(TestEnvironment.providerdBinary, arguments, stdin: Array(stdin.utf8), environment: environment)
    }

    /// Runs and throws unless the exit status is 0.
    @discardableResult
    package func succeed(_ arguments: [String], stdin: String = "") throws -> ProcessOutput {
        let output = try run(arguments, stdin: stdin)
        guard output.status == 0 else {
            throw TestSupportError("providerd \(arguments.joined(separator: " ")) exited \(output.status): \(output.stderrText)")
        }
        return output
    }

    /// Runs with `--json` and decodes stdout.
    package func json(_ arguments: [String], stdin: String = "") throws -> Any {
        let output = try succeed(arguments + ["--json"], stdin: stdin)
        return try JSONSerialization.jsonObject(with: Data(output.stdout))
    }
}
