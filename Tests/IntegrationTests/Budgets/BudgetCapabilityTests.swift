import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// providerd_client's budget helpers and PydanticAI capability, in a real
/// PydanticAI agent against the loopback OpenAI stand-in.
@Suite(
    "Budgets in a real PydanticAI agent",
    .enabled(if: TestEnvironment.databaseTestsEnabled && TestEnvironment.pythonTestsEnabled))
struct BudgetCapabilityTests {
    /// A stand-in answering every Chat Completions or Responses call with 123 input
    /// and 45 output tokens, counting the calls it gets; then `body` (Python) runs
    /// with `providerd_client` importable and `model(...)` making an OpenAI model
    /// on the stand-in.
    static func driver(_ body: String) -> String {
        """
        import json, sys, threading, asyncio
        from http.server import BaseHTTPRequestHandler, HTTPServer
        calls = []
        class StandIn(BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                calls.append(self.path)
                if self.path.endswith("/responses"):
                    reply = {"id": "resp_1", "object": "response", "created_at": 1700000000, "model": request.get("model"),
                             "status": "completed", "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                             "output": [{"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
                                         "content": [{"type": "output_text", "text": "ok", "annotations": []}]}],
                             "usage": {"input_tokens": 123, "output_tokens": 45, "total_tokens": 168,
                                       "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}}
                else:
                    reply = {"id": "c1", "object": "chat.completion", "created": 1700000000, "model": request.get("model"),
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 123, "completion_tokens": 45, "total_tokens": 168}}
                data = json.dumps(reply).encode()
                self.send_response(200); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        server = HTTPServer(("127.0.0.1", 0), StandIn)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.path.insert(0, sys.argv[1])
        socket_path = sys.argv[2]
        from pydantic_ai import Agent
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider
        def model(name="gpt-4o-mini"):
            return OpenAIChatModel(name, provider=OpenAIProvider(base_url=f"http://127.0.0.1:{server.server_port}/v1", api_key="sk-test"))
        \(body)
        """
    }

    static func run(_ fixture: DaemonFixture, _ body: String, arguments: [String] = []) async throws -> ProcessOutput {
        let clients = TestCluster.repositoryRoot.appendingPathComponent("clients/python").path
        return try await onThread {
            try ProcessRunner.python(Self.driver(body), [clients, fixture.socket] + arguments, environment: ["PROVIDERD_SOCKET": fixture.socket])
        }
    }

    /// What one stand-in request costs at the built-in prices.
    static func requestCost() throws -> Decimal {
        var pricer = UsagePricer(table: try PriceTable.builtIn(), unknown: .seedFallback)
        let record = UsageRecord(serviceName: "s", modelString: "openai:gpt-4o-mini", inputTokens: 123, outputTokens: 45)
        return pricer.price(record, at: Int64(Date().timeIntervalSince1970)).cost
    }

    @Test(
        "the capability: three runs fit the budget, the fourth stops with BudgetExceeded before its request; the error carries the budget; usage reported equals model_usage, a retried report counts once"
    )
    func capability() async throws {
        let fixture = try DaemonFixture()
        let cost = try Self.requestCost()
        try fixture.cli.succeed([
            "budgets", "set", "rag-day", "--scope", "service:rag", "--period", "day", "--limit", "\(cost * 3)", "--action", "block",
        ])
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let output = try await Self.run(
            fixture,
            """
            from providerd_client import BudgetExceeded, report_usage
            from providerd_client.pydantic_ai import ProviderdBudget
            from pydantic_ai.exceptions import UsageLimitExceeded
            agent = Agent(model(), capabilities=[ProviderdBudget("rag")])
            run_ids = []
            for attempt in range(4):
                try:
                    result = agent.run_sync("hello")
                    run_ids.append(result.run_id)
                    print("run", attempt, "ok")
                except BudgetExceeded as refused:
                    print("run", attempt, "refused", isinstance(refused, UsageLimitExceeded), refused.name, refused.reason,
                          refused.scope, refused.period, refused.limit_usd, refused.spent_usd >= refused.limit_usd,
                          refused.resets_at.isoformat())
            print("calls", len(calls))
            # The capability's first report of the first run, sent again (a retry): a duplicate.
            print(report_usage("rag", "openai:gpt-4o-mini", {"input_tokens": 123, "output_tokens": 45},
                               id=f"pydantic-ai:{run_ids[0]}:1:1", socket_path=socket_path))
            """)
        #expect(output.status == 0, "\(output.stderrText)")
        let lines = output.stdoutText.split(separator: "\n").map(String.init)
        let tomorrow = UTCTimestamp.iso8601(Double(BudgetPeriod.day.start(containing: Int64(Date().timeIntervalSince1970)) + 86_400))
            .replacingOccurrences(of: "Z", with: "+00:00")
        #expect(
            Array(lines.prefix(5)) == [
                "run 0 ok", "run 1 ok", "run 2 ok",
                "run 3 refused True rag-day exceeded service:rag day \(cost * 3) True \(tomorrow)", "calls 3",
            ], "\(output.stdoutText)\(output.stderrText)")
        #expect(lines.last == "{'ok': True, 'duplicate': True, 'budget': 'exceeded', 'budget_name': 'rag-day'}")
        #expect(DaemonProcess.eventually(timeout: 10) { (try? DaemonUsageTests.totals(fixture.url, service: "rag").requests) == 3 })
        let totals = try DaemonUsageTests.totals(fixture.url, service: "rag")
        #expect(totals.input == 369 && totals.output == 135)
        #expect(daemon.stop() == 0)
    }

    @Test("usage_limits(): the smallest remaining of the blocking budgets becomes cost_limit, and the run stops with UsageLimitExceeded")
    func usageLimits() async throws {
        let fixture = try DaemonFixture()
        let cost = try Self.requestCost()
        try fixture.cli.succeed(["budgets", "set", "wide", "--scope", "global", "--period", "month", "--limit", "100", "--action", "block"])
        try fixture.cli.succeed([
            "budgets", "set", "narrow", "--scope", "service:docs", "--period", "day", "--limit", "\(cost / 2)", "--action", "block",
        ])
        try fixture.cli.succeed(["budgets", "set", "alerts", "--scope", "global", "--period", "day", "--limit", "0.000001"])
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let output = try await Self.run(
            fixture,
            """
            from decimal import Decimal
            from providerd_client import usage_limits, budget
            from pydantic_ai.exceptions import UsageLimitExceeded
            from pydantic_ai.usage import UsageLimits
            limits = usage_limits("docs", "openai:gpt-4o-mini", base=UsageLimits(request_limit=7))
            print("limits", limits.cost_limit, limits.request_limit)
            status = budget("docs", "openai:gpt-4o-mini", socket_path=socket_path)
            print("status", status.allowed, sorted(b.name for b in status.budgets))
            try:
                Agent(model()).run_sync("hello", usage_limits=limits)
                print("not stopped")
            except UsageLimitExceeded as stopped:
                print("stopped", "cost_limit" in str(stopped))
            """)
        #expect(output.status == 0, "\(output.stderrText)")
        #expect(
            output.stdoutText.split(separator: "\n").map(String.init) == [
                "limits \(cost / 2) 7", "status True ['alerts', 'narrow', 'wide']", "stopped True",
            ], "\(output.stdoutText)\(output.stderrText)")
        #expect(daemon.stop() == 0)
    }
}
