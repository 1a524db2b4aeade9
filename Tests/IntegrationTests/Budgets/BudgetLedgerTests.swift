import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// Migration 003's ledger on a real PostgreSQL: the spend it keeps equals the sum
/// over `model_usage` under any interleaving, and each threshold is recorded once.
@Suite("The budget ledger", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct BudgetLedgerTests {
    static let now = Int64(Date().timeIntervalSince1970)

    func setUp() throws -> (TestDatabase, ProviderdCLI) {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        return (database, cli)
    }

    func spent(_ connection: PostgresConnection, _ name: String) throws -> String {
        try connection.query(
            """
            SELECT s.spent_usd::text AS v FROM providerd_budget_spend s JOIN budgets b ON b.id = s.budget_id
            WHERE b.name = $1 AND s.period_start = providerd_period_start(b.period, now())
            """, [name]
        ).rows.first?["v"] ?? "none"
    }

    func sum(_ connection: PostgresConnection, where filter: String, period: String) throws -> String {
        try connection.query(
            """
            SELECT COALESCE(sum(estimated_cost), 0)::text AS v FROM model_usage
            WHERE \(filter) AND period_start >= providerd_period_start('\(period)', now())
            """
        ).rows[0]["v"] ?? "?"
    }

    @Test("the database's periods are BudgetPeriod's, in any session time zone")
    func periodsAgree() throws {
        let (database, _) = try setUp()
        let connection = try database.connect()
        try connection.query("SET TimeZone = 'America/Los_Angeles'")
        var t: Int64 = 1_704_067_200  // 2024-01-01
        while t < 1_767_225_600 {  // 2026-01-01
            for period in BudgetPeriod.allCases {
                let row = try connection.query(
                    """
                    SELECT extract(epoch FROM providerd_period_start($1, to_timestamp($2::bigint)))::bigint AS s,
                           extract(epoch FROM providerd_period_end($1, providerd_period_start($1, to_timestamp($2::bigint))))::bigint AS e
                    """, [period.rawValue, t]
                ).rows[0]
                let start = period.start(containing: t)
                #expect(row["s"] == String(start) && row["e"] == String(period.end(ofPeriodStarting: start)), "\(period) \(t)")
            }
            t += 86_400 * 5 + 3_600 * 7
        }
    }

    @Test("a budget set mid-period counts what the period already spent; raising the limit keeps the spend and re-arms the thresholds")
    func midPeriodAndRaise() throws {
        let (database, cli) = try setUp()
        let connection = try database.connect()
        for cost in ["0.25", "0.35"] {
            try connection.query("SELECT increment_usage('rag', 'openai:gpt-4o', 10, $1::numeric, date_trunc('day', now()))", [cost])
        }
        try connection.query("SELECT increment_usage('docs', 'openai:gpt-4o', 10, 5, date_trunc('day', now()))")
        let created = try cli.json(["budgets", "set", "rag", "--scope", "service:rag", "--period", "day", "--limit", "1", "--json"]) as? [String: Any]
        let budget = created?["budget"] as? [String: Any]
        #expect(budget?["spent_usd"] as? String == "0.6")
        #expect(budget?["state"] as? String == "warning")
        #expect(try spent(connection, "rag") == "0.60")
        let events = try connection.query("SELECT threshold::text AS t FROM budget_events ORDER BY threshold").rows.map { $0["t"] }
        #expect(events == ["0.5"])
        // Raised: the spend stays, the 0.5 threshold (now $1 away) will fire again.
        let raised = try cli.json(["budgets", "set", "rag", "--scope", "service:rag", "--period", "day", "--limit", "2", "--json"]) as? [String: Any]
        #expect((raised?["budget"] as? [String: Any])?["spent_usd"] as? String == "0.6")
        #expect((raised?["rearmed"] as? [Any])?.count == 1)
        #expect(try connection.query("SELECT count(*) AS n FROM budget_events").rows[0]["n"] == "0")
        try connection.query("SELECT increment_usage('rag', 'openai:gpt-4o', 10, 0.5, date_trunc('day', now()))")
        #expect(try spent(connection, "rag") == "1.10")
        #expect(
            try connection.query("SELECT threshold::text AS t, spent_usd::text AS s FROM budget_events").rows.map { [$0["t"], $0["s"]] } == [["0.5", "1.10"]])
        // A scope change starts again from what the new scope spent.
        try cli.succeed(["budgets", "set", "rag", "--scope", "service:docs", "--period", "day", "--limit", "2"])
        #expect(try spent(connection, "rag") == "5")
    }

    @Test("a record dated in the previous period counts there; the new period starts at ok")
    func previousPeriod() throws {
        let (database, cli) = try setUp()
        let connection = try database.connect()
        try cli.succeed(["budgets", "set", "daily", "--scope", "global", "--period", "day", "--limit", "1", "--action", "block"])
        try connection.query("SELECT increment_usage('rag', 'openai:gpt-4o', 10, 3, date_trunc('day', now()) - interval '1 day')")
        let status = try cli.json(["budgets", "status", "--json"]) as? [String: Any]
        let budget = (status?["budgets"] as? [[String: Any]])?.first
        #expect(budget?["spent_usd"] as? String == "0")
        #expect(budget?["state"] as? String == "ok")
        #expect(status?["allowed"] as? Bool == true)
        let yesterday = try connection.query(
            """
            SELECT s.spent_usd::text AS v FROM providerd_budget_spend s
            WHERE s.period_start = providerd_period_start('day', now() - interval '1 day')
            """
        ).rows.map { $0["v"] }
        #expect(yesterday == ["3"])
        let events = try connection.query(
            "SELECT count(*) AS n FROM budget_events WHERE period_start = providerd_period_start('day', now() - interval '1 day')")
        #expect(events.rows[0]["n"] == "4", "every threshold of yesterday's period, recorded in yesterday's period")
    }

    @Test(
        "six flushes and two increment_usage callers at once, on overlapping budgets: each ledger equals the sum over model_usage, each threshold recorded once"
    )
    func concurrentWriters() async throws {
        let (database, cli) = try setUp()
        try cli.succeed(["budgets", "set", "all", "--scope", "global", "--period", "month", "--limit", "10", "--thresholds", "0.1,0.2,0.3,0.5,0.8,1"])
        try cli.succeed(["budgets", "set", "openai", "--scope", "provider:openai", "--period", "week", "--limit", "5"])
        try cli.succeed(["budgets", "set", "svc1", "--scope", "service:svc1", "--period", "day", "--limit", "2"])
        try cli.succeed(["budgets", "set", "mini", "--scope", "model:openai:gpt-4o-mini", "--period", "day", "--limit", "1"])
        let url = database.url
        let table = try PriceTable.builtIn()
        let models = ["openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest"]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<6 {
                group.addTask {
                    try await onThread {
                        // As the flusher writes a segment: rows in key order, then the ledger, one transaction.
                        let store = UsageFlushStore(connection: try PostgresConnection(ConnectionOptions(conninfo: url)))
                        var pricer = UsagePricer(table: table, unknown: .seedFallback)
                        for segment in 0..<25 {
                            var aggregate = UsageAggregate()
                            for index in 0..<6 {
                                let record = UsageRecord(
                                    serviceName: "svc\((writer + index) % 3)", modelString: models[(segment + index) % 3],
                                    inputTokens: 1_000 + Int64(writer), outputTokens: 200)
                                aggregate.add(record, timestamp: BudgetLedgerTests.now, pricer: &pricer)
                            }
                            let name = "w\(writer)-\(segment)"
                            #expect(try !store.begin(instance: "00000000-0000-0000-0000-00000000000\(writer)", segment: name))
                            #expect(try store.add(aggregate).isEmpty)
                            _ = try store.addToBudgets(aggregate, refused: [])
                            try store.commit(instance: "00000000-0000-0000-0000-00000000000\(writer)", segment: name, records: 6)
                        }
                    }
                }
            }
            for writer in 0..<2 {
                group.addTask {
                    try await onThread {
                        // As the replaced Python library writes: one call per transaction.
                        let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
                        for index in 0..<60 {
                            try connection.query(
                                "SELECT increment_usage($1, $2, 10, 0.0123, date_trunc('day', now()))",
                                ["svc\((writer + index) % 3)", models[index % 3]])
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let connection = try database.connect()
        #expect(try spent(connection, "all") == (try sum(connection, where: "true", period: "month")))
        #expect(try spent(connection, "openai") == (try sum(connection, where: "split_part(model_string, ':', 1) = 'openai'", period: "week")))
        #expect(try spent(connection, "svc1") == (try sum(connection, where: "service_name = 'svc1'", period: "day")))
        #expect(try spent(connection, "mini") == (try sum(connection, where: "model_string = 'openai:gpt-4o-mini'", period: "day")))
        // Each threshold the total reached: recorded once, with a spend at or past it
        // and not past the threshold plus one transaction's worth.
        let total = Double(try sum(connection, where: "true", period: "month"))!
        let global = try connection.query(
            """
            SELECT e.threshold::text AS t, e.spent_usd::text AS s FROM budget_events e JOIN budgets b ON b.id = e.budget_id
            WHERE b.name = 'all' ORDER BY e.threshold
            """
        ).rows
        let reached = [0.1, 0.2, 0.3, 0.5, 0.8, 1].filter { $0 * 10 <= total }
        #expect(global.map { Double($0["t"]! ?? "") } == reached, "total \(total)")
        #expect(!reached.isEmpty)
        for row in global {
            let threshold = Double(row["t"]! ?? "")!, spend = Double(row["s"]! ?? "")!
            #expect(spend >= threshold * 10 && spend < threshold * 10 + 0.2, "\(row.values)")
        }
    }
}
