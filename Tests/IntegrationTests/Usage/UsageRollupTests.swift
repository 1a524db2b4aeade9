import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import ProviderdCore

/// Migration 005's per-day rollups on a real PostgreSQL: every report read from
/// them equals the same report read from `model_usage`, at any moment, with
/// flushes, increment_usage callers, an operator's UPDATE and DELETE, and
/// compactions all running at once.
@Suite("The usage rollups", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct UsageRollupTests {
    static let day = Int64(86_400)
    static let today = Int64(Date().timeIntervalSince1970) / day * day

    /// Every report `UsageStore` makes from the rollups, for the last 10 days.
    struct Reports: Equatable, CustomStringConvertible {
        var summary: UsageStore.Summary
        var daily: [String]
        var byService: [String]
        var byModel: [String]
        var estimate: String
        var days: Int

        init(_ store: UsageStore) throws {
            let since = UsageStore.today(offsetDays: -9), until = UsageStore.today()
            summary = try store.summary(since: since, until: until, service: nil)
            daily = try store.daily(since: since, until: until).map { "\($0.day) \($0.cost)" }
            byService = try store.dailyParts(since: since, until: until, by: .service).map { "\($0.day) \($0.key) \($0.cost)" }.sorted()
            byModel = try store.dailyParts(since: since, until: until, by: .model).map { "\($0.day) \($0.key) \($0.cost)" }.sorted()
            (estimate, days) = try store.monthlyEstimate()
        }

        /// Costs as numbers: a rollup's sum can carry more decimal places than
        /// model_usage's after a DELETE or a lowered value (the migration says so).
        var numeric: Reports {
            func number(_ text: String) -> String { Decimal(string: text).map { "\($0)" } ?? "not a number: \(text)" }
            func lastNumber(_ line: String) -> String {
                var parts = line.split(separator: " ").map(String.init)
                parts[parts.count - 1] = number(parts[parts.count - 1])
                return parts.joined(separator: " ")
            }
            var copy = self
            copy.summary.totalCost = number(summary.totalCost)
            copy.summary.byService = summary.byService.map { UsageStore.Line(key: $0.key, requests: $0.requests, tokens: $0.tokens, cost: number($0.cost)) }
            copy.summary.byModel = summary.byModel.map { UsageStore.Line(key: $0.key, requests: $0.requests, tokens: $0.tokens, cost: number($0.cost)) }
            copy.daily = daily.map(lastNumber)
            copy.byService = byService.map(lastNumber)
            copy.byModel = byModel.map(lastNumber)
            copy.estimate = number(estimate)
            return copy
        }

        var description: String { "\(summary) \(daily) \(byService) \(byModel) \(estimate) \(days)" }
    }

    /// The reports from the rollups and from model_usage, in one snapshot.
    static func both(_ connection: PostgresConnection) throws -> (rollups: Reports, direct: Reports) {
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        defer { _ = try? connection.query("COMMIT") }
        return (try Reports(UsageStore(connection: connection, rollups: true)), try Reports(UsageStore(connection: connection, rollups: false)))
    }

    func setUp() throws -> (TestDatabase, PostgresConnection) {
        let database = try TestDatabase()
        try ProviderdCLI(databaseURL: database.url).succeed(["migrate"])
        return (database, try database.connect())
    }

    static func deltas(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*)::int AS n FROM providerd_usage_delta").rows[0].int("n")
    }

    @Test(
        "four flushes, two increment_usage callers, an operator updating and deleting rows, and compactions, all at once: every report from the rollups equals the one from model_usage, in every snapshot read meanwhile and after; no writer fails"
    )
    func concurrentWriters() async throws {
        let (database, connection) = try setUp()
        let url = database.url
        let table = try PriceTable.builtIn()
        let models = ["openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "mistral:mistral-large-latest"]
        let done = Flag()
        let snapshots = try await withThrowingTaskGroup(of: [(rollups: Reports, direct: Reports)].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    try await onThread {
                        // As the flusher writes a segment: rows in key order, one transaction.
                        let store = UsageFlushStore(connection: try PostgresConnection(ConnectionOptions(conninfo: url)))
                        var pricer = UsagePricer(table: table, unknown: .seedFallback)
                        for segment in 0..<30 {
                            var aggregate = UsageAggregate()
                            for index in 0..<8 {
                                let record = UsageRecord(
                                    serviceName: "svc\((writer + index) % 5)", modelString: models[(segment + index) % 4],
                                    inputTokens: 1_000 + Int64(writer * 7 + index), outputTokens: 200 + Int64(segment))
                                let when = Self.today - Int64((segment + index) % 4) * Self.day + 3_600
                                aggregate.add(record, timestamp: when, pricer: &pricer)
                            }
                            let instance = "00000000-0000-0000-0000-00000000000\(writer)"
                            #expect(try !store.begin(instance: instance, segment: "w\(writer)-\(segment)"))
                            #expect(try store.add(aggregate).isEmpty)
                            try store.commit(instance: instance, segment: "w\(writer)-\(segment)", records: 8)
                        }
                    }
                    return []
                }
            }
            for writer in 0..<2 {
                group.addTask {
                    try await onThread {
                        // As the replaced Python library writes: one call per transaction.
                        let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
                        for index in 0..<80 {
                            try connection.query(
                                "SELECT increment_usage($1, $2, 10, 0.0123, date_trunc('day', now()) - $3::int * interval '1 day')",
                                ["svc\((writer + index) % 5)", models[index % 4], index % 3])
                        }
                    }
                    return []
                }
            }
            group.addTask {
                try await onThread {
                    // An operator: costs corrected, old rows deleted, a day's row moved. One
                    // row per statement: several rows locked in another order than the
                    // flushes' would deadlock on model_usage itself, rollups or not.
                    let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
                    for round in 0..<20 {
                        let keys = try connection.query(
                            "SELECT service_name, model_string, period_start::text AS p FROM model_usage WHERE service_name = $1",
                            ["svc\(round % 5)"]
                        ).rows
                        for (n, key) in keys.enumerated() {
                            let values = [key["service_name"]!, key["model_string"]!, key["p"]!]
                            let match = "service_name = $1 AND model_string = $2 AND period_start = $3::timestamptz"
                            switch n % 3 {
                            case 0: try connection.query("UPDATE model_usage SET estimated_cost = estimated_cost * 2 WHERE \(match)", values)
                            case 1: try connection.query("DELETE FROM model_usage WHERE \(match) AND period_start < now() - interval '2 day'", values)
                            default:
                                // Moved five days back; taken if that key is free, else left.
                                try connection.query(
                                    """
                                    UPDATE model_usage SET period_start = period_start - interval '5 day', period_end = period_end - interval '5 day'
                                    WHERE \(match) AND NOT EXISTS (SELECT 1 FROM model_usage o WHERE o.service_name = $1
                                        AND o.model_string = $2 AND o.period_start = $3::timestamptz - interval '5 day')
                                    """, values)
                            }
                        }
                        Thread.sleep(forTimeInterval: 0.01)
                    }
                }
                return []
            }
            group.addTask {
                try await onThread {
                    let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
                    while !done.isSet {
                        _ = try UsageRollup.compact(on: connection)
                        Thread.sleep(forTimeInterval: 0.005)
                    }
                }
                return []
            }
            group.addTask {
                try await onThread {
                    let connection = try PostgresConnection(ConnectionOptions(conninfo: url))
                    var seen: [(rollups: Reports, direct: Reports)] = []
                    while !done.isSet {
                        seen.append(try Self.both(connection))
                        Thread.sleep(forTimeInterval: 0.02)
                    }
                    return seen
                }
            }
            var snapshots: [(rollups: Reports, direct: Reports)] = []
            var writersLeft = 7
            do {
                while let result = try await group.next() {
                    snapshots += result
                    writersLeft -= 1
                    if writersLeft == 0 { done.set() }
                }
            } catch {
                done.set()  // the loops end, so the group can
                throw error
            }
            return snapshots
        }
        #expect(snapshots.count >= 5, "the reader took snapshots while the writers ran")
        for (n, pair) in snapshots.enumerated() {
            #expect(pair.rollups.numeric == pair.direct.numeric, "snapshot \(n)")
        }
        let final = try Self.both(connection)
        #expect(final.rollups.numeric == final.direct.numeric)
        #expect(!final.direct.summary.byService.isEmpty && final.direct.days > 0)
        // Compacted to the end: no deltas left, and still equal.
        _ = try UsageRollup.compact(on: connection)
        #expect(try Self.deltas(connection) == 0)
        let compacted = try Self.both(connection)
        #expect(compacted.rollups.numeric == compacted.direct.numeric)
        #expect(
            try connection.query("SELECT count(*)::int AS n FROM providerd_usage_by_service WHERE row_count = 0").rows[0].int("n") == 0,
            "a day whose rows were all deleted leaves no rollup row")
    }

    @Test("writers that only add (flushes and increment_usage): the rollups' reports equal model_usage's to the text of every cost")
    func addOnlyText() throws {
        let (database, connection) = try setUp()
        defer { withExtendedLifetime(database) {} }
        for index in 0..<40 {
            try connection.query(
                "SELECT increment_usage($1, $2, $3, $4::numeric, date_trunc('day', now()) - $5::int * interval '1 day')",
                ["svc\(index % 3)", "openai:gpt-4o\(index % 2 == 0 ? "" : "-mini")", index * 10, index % 4 == 0 ? "0.5" : "0.001234", index % 5])
            if index % 7 == 0 { _ = try UsageRollup.compact(on: connection) }
        }
        let (rollups, direct) = try Self.both(connection)
        #expect(rollups == direct)
        #expect(direct.summary.totalRequests == 40)
    }

    @Test("migration 005 fills the rollups from the rows already there, and run again by hand it rebuilds them exactly; TRUNCATE model_usage empties them")
    func backfillAndTruncate() throws {
        let (database, connection) = try setUp()
        try connection.query("DROP TRIGGER providerd_usage_delta_add ON model_usage")
        for index in 0..<30 {
            try connection.query(
                "SELECT increment_usage($1, 'openai:gpt-4o', 100, 0.25, date_trunc('day', now()) - $2::int * interval '1 day')",
                ["svc\(index % 4)", index % 6])
        }
        #expect(try Self.deltas(connection) == 0, "written before the trigger")
        let migration = TestCluster.repositoryRoot.appendingPathComponent("migrations/005_usage_rollup.sql").path
        let output = try database.psqlFile(migration)
        #expect(output.status == 0, "\(output.stderrText)")
        var (rollups, direct) = try Self.both(connection)
        #expect(rollups == direct && direct.summary.totalRequests == 30)
        // The trigger is back: a new row is counted once.
        try connection.query("SELECT increment_usage('svc9', 'openai:gpt-4o', 1, 1, date_trunc('day', now()))")
        #expect(try database.psqlFile(migration).status == 0)
        (rollups, direct) = try Self.both(connection)
        #expect(rollups == direct && direct.summary.totalRequests == 31)

        try connection.query("TRUNCATE model_usage")
        for table in ["providerd_usage_delta", "providerd_usage_by_service", "providerd_usage_by_model"] {
            #expect(try connection.query("SELECT count(*)::int AS n FROM \(table)").rows[0].int("n") == 0, "\(table)")
        }
        (rollups, direct) = try Self.both(connection)
        #expect(rollups == direct && direct.summary.byService.isEmpty)
    }

    @Test("a compaction moves at most its limit (a bulk load's deltas over several calls), and the reports stay exact between calls")
    func batches() throws {
        let (database, connection) = try setUp()
        defer { withExtendedLifetime(database) {} }
        try connection.query(
            """
            INSERT INTO model_usage (service_name, model_string, period_start, period_end, request_count, total_tokens, estimated_cost)
            SELECT 'svc' || s, 'openai:gpt-4o', date_trunc('day', now()) - d * interval '1 day', date_trunc('day', now()) - (d - 1) * interval '1 day',
                   1, 10, 0.01 * s
            FROM generate_series(1, 5) s, generate_series(0, 4) d
            """)
        #expect(try Self.deltas(connection) == 25)
        var calls = 0
        while let moved = try UsageRollup.compact(on: connection, limit: 10), moved > 0 {
            calls += 1
            #expect(moved <= 10)
            let (rollups, direct) = try Self.both(connection)
            #expect(rollups == direct, "after call \(calls)")
        }
        #expect(try calls == 3 && Self.deltas(connection) == 0)
    }

    @Test(
        "a sidecar on a database without the rollups (before migration 005) looks in the catalog and sends no statement that fails; once migrated, it compacts")
    func withoutRollups() throws {
        let (database, connection) = try setUp()
        for statement in [
            "DROP TRIGGER providerd_usage_delta_add ON model_usage", "DROP TRIGGER providerd_usage_truncated ON model_usage",
            "DROP FUNCTION providerd_usage_compact(integer)",
            "DROP TABLE providerd_usage_delta, providerd_usage_by_service, providerd_usage_by_model",
        ] { try connection.query(statement) }
        func rollbacks() throws -> Int {
            try connection.query("SELECT pg_stat_clear_snapshot()")
            return try connection.query("SELECT xact_rollback::int AS n FROM pg_stat_database WHERE datname = current_database()").rows[0].int("n")
        }
        var compaction = RollupCompaction()
        let before = try rollbacks()
        do {
            let flusher = try database.connect()
            for second in 0..<3 { compaction.run(on: flusher, now: Double(second) * 20, logger: Logger(label: "test")) }
        }
        // An idle backend may hold its statistics back for seconds; one that exits
        // reports them.
        Thread.sleep(forTimeInterval: 1)
        #expect(try rollbacks() == before, "no failed statement")
        let flusher = try database.connect()
        // The report falls back to model_usage.
        try connection.query("SELECT increment_usage('svc', 'openai:gpt-4o', 1, 1, date_trunc('day', now()))")
        #expect(try UsageStore(connection: connection).summary(since: UsageStore.today(), until: UsageStore.today(), service: nil).totalRequests == 1)
        // Migrated again: looked up after 10 minutes, then compacted.
        #expect(try database.psqlFile(TestCluster.repositoryRoot.appendingPathComponent("migrations/005_usage_rollup.sql").path).status == 0)
        try connection.query("SELECT increment_usage('svc', 'openai:gpt-4o', 1, 1, date_trunc('day', now()))")
        #expect(try Self.deltas(connection) == 1)
        compaction.run(on: flusher, now: 100, logger: Logger(label: "test"))
        #expect(try Self.deltas(connection) == 1, "within 10 minutes of the last look")
        compaction.run(on: flusher, now: 700, logger: Logger(label: "test"))
        #expect(try Self.deltas(connection) == 0)
    }

    @Test("a second compaction while one holds the lock returns at once and moves nothing")
    func oneCompactionAtATime() throws {
        let (database, connection) = try setUp()
        try connection.query("SELECT increment_usage('svc', 'openai:gpt-4o', 1, 1, date_trunc('day', now()))")
        let holder = try database.connect()
        try holder.query("BEGIN")
        #expect(try UsageRollup.compact(on: holder) == 1)
        #expect(try UsageRollup.compact(on: connection) == nil)
        try holder.query("COMMIT")
        #expect(try UsageRollup.compact(on: connection) == 0)
    }
}

/// Set once, read from other threads.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
