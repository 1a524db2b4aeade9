import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd usage push/summary/daily/estimate", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct UsageCommandTests {
    @Test("push through the daemon's socket; the seed's reports read it back")
    func pushAndReports() throws {
        let fixture = try DaemonFixture()
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        var cli = fixture.cli
        cli.environment["PROVIDERD_SOCKET"] = fixture.socket
        #expect(
            try cli.succeed([
                "usage", "push", "--service", "rag_agent", "--model", "openai:gpt-4o", "--input", "1000",
                "--output", "500", "--id", "p1",
            ]).stdoutText == "{\"ok\":true}\n")
        #expect(
            try cli.succeed([
                "usage", "push", "--service", "rag_agent", "--model", "openai:gpt-4o", "--input", "1000",
                "--output", "500", "--id", "p1",
            ]).stdoutText == "{\"ok\":true,\"duplicate\":true}\n")
        try cli.succeed([
            "usage", "push", "--service", "doc", "--model", "openai:gpt-4o-mini", "--input", "2000", "--output", "1000",
            "--requests", "2",
        ])
        let bad = try cli.run(["usage", "push", "--service", "doc", "--model", "gpt-4o"])
        #expect(bad.status == 2)
        #expect(bad.stderrText.contains("model_string must be provider:model"))
        let down = try ProviderdCLI().run(["usage", "push", "--service", "x", "--model", "a:b", "--socket", fixture.directory.file("none.sock")])
        #expect(down.status == 1)
        #expect(down.stderrText.contains("connect to the usage socket"))

        #expect(
            DaemonProcess.eventually(timeout: 20) {
                ((try? cli.json(["usage", "summary"]) as? [String: Any])?["total_requests"] as? Int) == 3
            })
        let summary = try #require(try cli.json(["usage", "summary"]) as? [String: Any])
        // genai-prices: gpt-4o 2.5/10 USD per million tokens, gpt-4o-mini 0.15/0.6 (as the seed priced them).
        #expect(summary["total_cost"] as? String == "0.0084")
        #expect(summary["total_tokens"] as? Int == 4_500)
        let services = summary["by_service"] as? [[String: Any]] ?? []
        #expect(services.map { $0["key"] as? String } == ["rag_agent", "doc"])
        #expect(services.first?["cost"] as? String == "0.0075")
        let docOnly = try #require(try cli.json(["usage", "summary", "--service", "doc"]) as? [String: Any])
        #expect(docOnly["total_cost"] as? String == "0.0009")
        let today = UsageStore.today()
        let none = try #require(try cli.json(["usage", "summary", "--since", "2020-01-01", "--until", "2020-01-31"]) as? [String: Any])
        #expect(none["total_requests"] as? Int == 0)
        let byDay = try #require(try cli.json(["usage", "summary", "--since", today, "--until", today]) as? [String: Any])
        #expect(byDay["total_requests"] as? Int == 3)
        #expect(try cli.run(["usage", "summary", "--since", "yesterday"]).status == 2)

        let daily = try #require(try cli.json(["usage", "daily", "--days", "3"]) as? [String: Any])
        let days = daily["days"] as? [[String: String]] ?? []
        #expect(days.count == 3)
        #expect(days.last?["date"] == today)
        #expect(days.last?["cost"] == "0.0084")
        #expect(try cli.succeed(["usage", "daily"]).stdoutText.contains("█"))
        let estimate = try #require(try cli.json(["usage", "estimate"]) as? [String: Any])
        #expect(estimate["monthly_estimate"] as? String == "0.252000")
        #expect(estimate["days_with_usage"] as? Int == 1)

        #expect(daemon.stop() == 0)
    }

    @Test("usage summary: year 0000 and totals past a bigint get clear errors, not PostgreSQL's")
    func reportErrors() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let year0 = try cli.run(["usage", "summary", "--since", "0000-01-01", "--until", "0001-01-01"])
        #expect(year0.status == 2)
        #expect(year0.stderrText.contains("years run from 0001 to 9999"), "\(year0.stderrText)")
        #expect(!year0.stderrText.contains("out of range"))
        let connection = try database.connect()
        for day in ["2026-01-01", "2026-01-02"] {
            try connection.query(
                """
                INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens, estimated_cost)
                VALUES ('huge', 'openai:gpt-4o', $1::timestamptz, $1::timestamptz + interval '1 day', 9000000000000000000, 9000000000000000000, 1)
                """, [day])
        }
        let huge = try cli.run(["usage", "summary", "--since", "2026-01-01", "--until", "2026-01-31"])
        #expect(huge.status == 1)
        #expect(huge.stderrText.contains("exceed 9223372036854775807"), "\(huge.stderrText)")
        #expect(!huge.stderrText.contains("bigint out of range"))
        #expect(try cli.run(["usage", "summary", "--since", "2026-01-01", "--until", "2026-01-01"]).status == 0)
    }
}
