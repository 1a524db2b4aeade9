import Foundation

/// What the test run has: scripts/test exports the Python interpreter of its
/// virtual environment and the URL of a throwaway PostgreSQL cluster. Locally a
/// test that needs a missing part is skipped; with `CI=true` it runs and fails.
package enum TestEnvironment {
    package static var environment: [String: String] { ProcessInfo.processInfo.environment }

    package static var isCI: Bool { environment["CI"] == "true" }

    package static var python: String? { environment["PROVIDERD_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } }

    package static var databaseURL: String? {
        environment["PROVIDERD_TEST_DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether tests that need Python should run (always on CI).
    package static var pythonTestsEnabled: Bool { python != nil || isCI }
    /// Whether tests that need PostgreSQL should run (always on CI).
    package static var databaseTestsEnabled: Bool { databaseURL != nil || isCI }

    package static func requirePython() throws -> String {
        guard let python else {
            throw TestSupportError("PROVIDERD_TEST_PYTHON is not set: run the tests with scripts/test")
        }
        return python
    }

    package static func requireDatabaseURL() throws -> String {
        guard let databaseURL else {
            throw TestSupportError("PROVIDERD_TEST_DATABASE_URL is not set: run the tests with scripts/test")
        }
        return databaseURL
    }

    /// The `providerd` executable `swift build` put beside the test bundle
    /// (or `PROVIDERD_BIN`).
    package static var providerdBinary: String {
        if let path = environment["PROVIDERD_BIN"], !path.isEmpty { return path }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the test runner sits in .build/<triple>/debug; look there and above.
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("providerd").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("providerd").path
    }
}

package struct TestSupportError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
