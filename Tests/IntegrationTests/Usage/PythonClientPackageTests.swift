import Foundation
import TestSupport
import Testing

/// clients/python as the package an agent's virtual environment installs.
@Suite("pip install ./clients/python", .enabled(if: TestEnvironment.pythonTestsEnabled))
struct PythonClientPackageTests {
    @Test("installs into a fresh virtual environment with nothing but the standard library; typed; the core imports without PydanticAI")
    func installs() async throws {
        let python = try TestEnvironment.requirePython()
        let directory = try TemporaryDirectory()
        let venv = directory.file("venv")
        let source = TestCluster.repositoryRoot.appendingPathComponent("clients/python").path
        // Built from a copy: pip writes build/ and *.egg-info next to the sources.
        let copy = directory.file("src")
        #expect(try ProcessRunner.run("/bin/cp", ["-r", source, copy]).status == 0)
        let output = try await onThread { () throws -> ProcessOutput in
            let made = try ProcessRunner.run(python, ["-m", "venv", venv])
            guard made.status == 0 else { return made }
            // As an agent's environment would: the build backend (setuptools) comes
            // from the package index, the client itself needs nothing.
            return try ProcessRunner.run(venv + "/bin/pip", ["install", "--quiet", "--disable-pip-version-check", copy])
        }
        #expect(output.status == 0, "\(output.stdoutText)\(output.stderrText)")
        let check = try ProcessRunner.run(
            venv + "/bin/python",
            [
                "-c",
                """
                import importlib.util, os, sys
                import providerd_client
                print(sorted(providerd_client.__all__))
                print(os.path.exists(os.path.join(os.path.dirname(providerd_client.__file__), "py.typed")))
                print(importlib.util.find_spec("pydantic_ai") is None, "pydantic_ai" in sys.modules)
                print(issubclass(providerd_client.BudgetExceeded, Exception))
                """,
            ], environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path])
        #expect(check.status == 0, "\(check.stderrText)")
        #expect(
            check.stdoutText.split(separator: "\n").map(String.init) == [
                "['BudgetExceeded', 'BudgetState', 'BudgetStatus', 'DEFAULT_SOCKET', 'ProviderdError', 'budget', 'check_budget', 'report_usage', 'usage_limits']",
                "True", "True False", "True",
            ], "\(check.stdoutText)")
    }
}
