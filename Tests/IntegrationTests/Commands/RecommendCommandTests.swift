import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd models recommend", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct RecommendCommandTests {
    @Test("reprices the service's recorded tokens under every priced model, current provider first; bad input named")
    func recommend() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        try cli.succeed(["models", "set", "rag", "openai:gpt-4o"])
        let connection = try database.connect()
        for (offset, model) in [(0, "openai:gpt-4o"), (1, "openai:gpt-4o"), (40, "openai:gpt-4o")] {
            try connection.query(
                """
                INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens,
                                         estimated_cost, input_tokens, output_tokens, cache_read_tokens)
                VALUES ('rag', $1, date_trunc('day', now()) - $2::int * interval '1 day',
                        date_trunc('day', now()) - ($2::int - 1) * interval '1 day', 50, 0, 1, 200000, 20000, 50000)
                """, [model, offset])
        }
        let report = try cli.json(["models", "recommend", "rag", "--days", "30", "--json"]) as? [String: Any]
        #expect(report?["current_model"] as? String == "openai:gpt-4o")
        let tokens = report?["tokens"] as? [String: Int]
        #expect(tokens?["requests"] == 100 && tokens?["input"] == 400_000, "the day 40 days back is outside --days 30")
        let candidates = report?["candidates"] as? [[String: Any]] ?? []
        #expect(candidates.first?["same_provider"] as? Bool == true)
        #expect(candidates.contains { $0["model"] as? String == "openai:gpt-4o-mini" })
        let mini = candidates.first { $0["model"] as? String == "openai:gpt-4o-mini" }
        #expect(Decimal(string: mini?["saving_usd"] as? String ?? "") ?? 0 > 0)
        #expect((report?["caveats"] as? [String])?.first?.contains("List prices only") == true)
        let text = try cli.succeed(["models", "recommend", "rag", "--top", "3"]).stdoutText
        #expect(text.contains("rag: openai:gpt-4o") && text.contains("note: List prices only"))
        let bad = try cli.run(["models", "recommend", "rag", "--days", "0"])
        #expect(bad.status == 2 && bad.stderrText.contains("--days: must be 1 to 366"))
        let unknown = try cli.run(["models", "recommend", "nosuch"])
        #expect(unknown.status == 1 && unknown.stderrText.contains("no service 'nosuch'"))
    }
}
