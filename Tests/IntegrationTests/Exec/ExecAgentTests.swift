import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// One container's worth: `providerd exec --usage-socket` running a real
/// PydanticAI agent (the README's example, through `PydanticAIAgentTests.driver`
/// and its loopback model stand-in). The agent's key comes from its environment,
/// its model from the map exec writes, its budget answer and usage from the
/// socket in the same process.
@Suite("providerd exec runs a real PydanticAI agent", .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct ExecAgentTests {
    @Test("the agent calls the model with the stored key, its usage lands in model_usage; a block budget refuses it and exec exits with its 3")
    func agent() async throws {
        let fixture = try DaemonFixture()
        let port = try PydanticAIAgentTests.freePort()
        let secret = "sk-exec-agent-\(UUID().uuidString.prefix(8))"
        try fixture.cli.succeed(["keys", "set", "openai", "--base-url", "http://127.0.0.1:\(port)/v1"], stdin: secret)
        try fixture.cli.succeed(["models", "set", "rag_agent", "openai:gpt-4o-mini", "--temperature", "0.1"])
        let python = try TestEnvironment.requirePython()
        let clients = TestCluster.repositoryRoot.appendingPathComponent("clients/python").path
        let exec = try ExecFixture()
        let socket = exec.directory.file("run/usage.sock")
        let modelMap = exec.directory.file("run/models.json")
        // The stand-in accepts only the key the agent's own environment holds.
        let program = ["/bin/sh", "-c", "exec \"$0\" -c \"$1\" \"$2\" \"$OPENAI_API_KEY\" \"$3\"", python, PydanticAIAgentTests.driver, "\(port)", clients]
        var environment = fixture.environment
        environment["PROVIDERD_SERVICE"] = "rag_agent"
        environment["HOME"] = NSTemporaryDirectory()
        let options = ["--state-dir", fixture.stateDir, "--usage-socket", socket, "--model-map", modelMap]
        let first = try exec.start(options, program: program, environment: environment)
        #expect(try await onThread { first.waitForExit(timeout: 60) } == 0, "\(first.log)")
        #expect(first.log.contains("hello from the stand-in"))
        #expect(first.log.contains("\"Bearer \(secret)\""), "the agent used the stored key from its environment")
        #expect(first.log.contains("gpt-4o-mini"), "the model from the map exec wrote")
        // Acknowledged before the agent exited; flushed at the latest by exec's own stop.
        let totals = try DaemonUsageTests.totals(fixture.url, service: "rag_agent")
        #expect(totals.requests == 1 && totals.input == 123 && totals.output == 45)

        // A block budget already spent: the capability asks the socket and refuses before any request.
        try fixture.cli.succeed(["budgets", "set", "tiny", "--scope", "service:rag_agent", "--period", "day", "--limit", "0.000001", "--action", "block"])
        let second = try exec.start(options, program: program, environment: environment)
        #expect(try await onThread { second.waitForExit(timeout: 60) } == 3, "\(second.log)")
        #expect(second.log.contains("refused by budget tiny"))
        // Both runs log to one file: the stand-in saw the first run's request only.
        #expect(second.log.components(separatedBy: "\"/v1/responses\"").count - 1 == 1, "nothing reached the model")
    }
}
