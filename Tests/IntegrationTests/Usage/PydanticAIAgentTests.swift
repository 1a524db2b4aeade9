import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// A real PydanticAI agent (pydantic-ai-slim[openai] from PyPI) run the providerd
/// way: model from models.json, key and base URL from the env file, usage through
/// clients/python/providerd_client (the ProviderdBudget capability) into model_usage. The model is a loopback
/// OpenAI-compatible stand-in that refuses any other bearer key.
@Suite("A real PydanticAI agent end to end", .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct PydanticAIAgentTests {
    static let driver = """
        import json, os, sys, threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        port, expected_key, clients = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        seen = []

        class StandIn(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append((self.path, self.headers.get("Authorization"), body.get("model")))
                if self.headers.get("Authorization") != f"Bearer {expected_key}":
                    self.send_response(401)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error":{"message":"bad key","type":"invalid_request_error"}}')
                    return
                if self.path.endswith("/responses"):  # PydanticAI 2's default for openai: models
                    reply = {"id": "resp_1", "object": "response", "created_at": 1700000000, "model": body.get("model"),
                             "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                             "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                         "content": [{"type": "output_text", "text": "hello from the stand-in", "annotations": []}]}],
                             "usage": {"input_tokens": 123, "output_tokens": 45, "total_tokens": 168,
                                       "input_tokens_details": {"cached_tokens": 0},
                                       "output_tokens_details": {"reasoning_tokens": 0}}}
                else:  # Chat Completions
                    reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": body.get("model"),
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello from the stand-in"},
                                          "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        server = HTTPServer(("127.0.0.1", port), StandIn)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.path.insert(0, clients)
        sys.argv = ["example_agent.py", "Say hello"]
        import example_agent
        example_agent.main()
        print("SEEN", json.dumps(seen))
        """

    static func freePort() throws -> Int {
        let output = try ProcessRunner.python("import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
        return Int(output.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))!
    }

    @Test("agent takes model and key from providerd's files; its usage lands in model_usage")
    func agent() async throws {
        let fixture = try DaemonFixture()
        let port = try Self.freePort()
        let secret = "sk-agent-\(UUID().uuidString.prefix(8))"
        try fixture.cli.succeed(["keys", "set", "openai", "--base-url", "http://127.0.0.1:\(port)/v1"], stdin: secret)
        try fixture.cli.succeed(["models", "set", "rag_agent", "openai:gpt-4o-mini", "--temperature", "0.1"])
        let daemon = try fixture.start()
        _ = try fixture.waitReady()

        let python = try TestEnvironment.requirePython()
        let clients = TestCluster.repositoryRoot.appendingPathComponent("clients/python").path
        let envFile = fixture.envFile
        let output = try await onThread {
            try ProcessRunner.run(
                "/bin/bash",
                [
                    "-c", "set -a; . \"$1\"; set +a; exec \"$2\" -c \"$3\" \"$4\" \"$OPENAI_API_KEY\" \"$5\"",
                    "agent", envFile, python, Self.driver, String(port), clients,
                ],
                environment: [
                    "PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory(),
                    "PROVIDERD_MODEL_MAP": fixture.modelMap, "PROVIDERD_SOCKET": fixture.socket,
                    "PROVIDERD_SERVICE": "rag_agent",
                ])
        }
        #expect(output.status == 0, "\(output.stderrText)")
        #expect(output.stdoutText.contains("hello from the stand-in"))
        #expect(output.stdoutText.contains(#""usage": {"input_tokens": 123, "output_tokens": 45}"#))
        #expect(output.stdoutText.contains("\"Bearer \(secret)\""))
        #expect(output.stdoutText.contains("gpt-4o-mini"))

        #expect(
            DaemonProcess.eventually(timeout: 20) {
                (try? DaemonUsageTests.totals(fixture.url, service: "rag_agent").requests) == 1
            })
        let totals = try DaemonUsageTests.totals(fixture.url, service: "rag_agent")
        #expect(totals.input == 123 && totals.output == 45)
        #expect(daemon.stop() == 0)
        #expect(!daemon.log.contains(secret))
    }

    @Test("the client: usage objects, dicts and methods; an error raises; a resend with the same id counts once")
    func client() async throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let clients = TestCluster.repositoryRoot.appendingPathComponent("clients/python").path
        let socket = fixture.socket
        let output = try await onThread {
            try ProcessRunner.python(
                """
                import sys
                sys.path.insert(0, sys.argv[1])
                from providerd_client import report_usage, ProviderdError
                from pydantic_ai.usage import RunUsage, RequestUsage
                print(report_usage("svc", "openai:gpt-4o", RunUsage(input_tokens=10, output_tokens=5, cache_read_tokens=4, requests=2), socket_path=sys.argv[2], id="r1"))
                print(report_usage("svc", "openai:gpt-4o", RunUsage(input_tokens=10, output_tokens=5), socket_path=sys.argv[2], id="r1"))
                print(report_usage("svc", "openai:gpt-4o", RequestUsage(input_tokens=7, output_tokens=3), socket_path=sys.argv[2]))
                print(report_usage("svc", "openai:gpt-4o", {"request_tokens": 1, "response_tokens": 1}, socket_path=sys.argv[2]))
                print(report_usage("svc", "openai:gpt-4o", lambda: {"input_tokens": 2}, socket_path=sys.argv[2]))
                try:
                    report_usage("svc", "no-colon", {"input_tokens": 1}, socket_path=sys.argv[2])
                except ProviderdError as error:
                    print("refused:", error)
                try:
                    report_usage("svc", "a:b", {}, socket_path=sys.argv[2] + ".missing", attempts=2)
                except ProviderdError as error:
                    print("unreachable:", "cannot reach providerd" in str(error))
                """, [clients, socket])
        }
        #expect(
            output.stdoutText == """
                {'ok': True}
                {'ok': True, 'duplicate': True}
                {'ok': True}
                {'ok': True}
                {'ok': True}
                refused: model_string must be provider:model with provider matching ^[a-z][a-z0-9_-]{0,63}$ and a non-empty model
                unreachable: True

                """)
        #expect(DaemonProcess.eventually(timeout: 20) { (try? DaemonUsageTests.totals(fixture.url, service: "svc").requests) == 5 })
        #expect(try DaemonUsageTests.totals(fixture.url, service: "svc").input == 20)
        #expect(daemon.stop() == 0)
    }
}
