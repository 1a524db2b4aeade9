import Foundation
import TestSupport
import Testing

/// schemathesis (PyPI) generates requests from the served document and checks
/// every response against it: no 5xx, and every status, content type, header and
/// body as documented.
@Suite("providerd dashboard: schemathesis", .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct DashboardSchemathesisTests {
    static let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"

    func schemathesis(_ dashboard: DashboardProcess, _ arguments: [String]) throws -> ProcessOutput {
        let python = try TestEnvironment.requirePython()
        let binary = URL(fileURLWithPath: python).deletingLastPathComponent().appendingPathComponent("schemathesis").path
        let directory = try TemporaryDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = directory.path
        environment["SCHEMATHESIS_HOOKS"] = nil
        // Run in the temporary directory: schemathesis keeps a `.schemathesis/`
        // cache in its working directory, which must not land in the repository.
        return try ProcessRunner.run(
            "/usr/bin/env",
            [
                "-C", directory.path, binary, "run", dashboard.base + "/api/v1/openapi.json", "--url", dashboard.base + "/api/v1", "--checks", Self.checks,
                "--seed", "1", "--no-color",
            ]
                + arguments,
            environment: environment)
    }

    @Test("every operation, with an admin's Bearer token and writes on: no 5xx, every response as documented")
    func everyOperation() throws {
        let dashboard = try DashboardProcess()
        // Login is run on its own below: its failures would rate-limit the rest.
        let output = try schemathesis(
            dashboard, ["-H", "Authorization: Bearer \(dashboard.adminToken)", "--exclude-operation-id", "login", "-n", "25"])
        #expect(output.status == 0, "\(output.stdoutText.suffix(6_000))\n\(output.stderrText.suffix(2_000))")
        #expect(output.stdoutText.contains("Selected: 21/22") && output.stdoutText.contains("Tested: 21"), "\(output.stdoutText.suffix(1_500))")
        #expect(!output.stdoutText.contains("Rate limited"))
        #expect(!dashboard.log.contains(dashboard.adminToken))
        #expect(dashboard.process.isRunning)
    }

    @Test("login, unauthenticated, with generated tokens: only 401, 422 or 429, as documented")
    func login() throws {
        let dashboard = try DashboardProcess()
        let output = try schemathesis(dashboard, ["--include-operation-id", "login", "-n", "50"])
        #expect(output.status == 0, "\(output.stdoutText.suffix(6_000))\n\(output.stderrText.suffix(2_000))")
        #expect(output.stdoutText.contains("Tested: 1"))
    }

    @Test("the served document is the repository's openapi.json, byte for byte")
    func servedDocument() throws {
        let dashboard = try DashboardProcess()
        let served = try HTTPCall.run("GET", dashboard.base + "/api/v1/openapi.json")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Sources/ProviderdAPI/openapi.json")
        let file = try String(contentsOf: repository, encoding: .utf8)
        #expect(served.status == 200 && served.header("content-type")?.hasPrefix("application/json") == true)
        #expect(served.body == file || served.body == file + "\n")
    }
}
