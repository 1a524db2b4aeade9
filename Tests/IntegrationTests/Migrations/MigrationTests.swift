import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Migrations on a real PostgreSQL", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct MigrationTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let migration001 = repositoryRoot.appendingPathComponent("migrations/001_simplified_schema.sql").path

    func actions(_ output: ProcessOutput) throws -> [String: String] {
        let document = try JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any]
        let rows = document?["migrations"] as? [[String: String]] ?? []
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["migration"]!, $0["action"]!) })
    }

    @Test("server notices (IF NOT EXISTS ... skipping) never reach stderr raw")
    func noRawNotices() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        // The seed's schema run again by hand makes the server send NOTICEs.
        let connection = try database.connect()
        try connection.runScript("SET client_min_messages = notice; CREATE TABLE IF NOT EXISTS api_keys (id int)")
        let again = try cli.succeed(["migrate"])
        let listed = try cli.succeed(["models", "list"])
        for output in [again, listed] {
            #expect(!output.stderrText.contains("NOTICE") && !output.stderrText.contains("WARNING:"), "\(output.stderrText)")
        }
    }

    @Test("an empty database: every migration applies once; a second run is a no-op")
    func emptyThenTwice() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        let first = try actions(try cli.succeed(["migrate", "--json"]))
        #expect(
            first == [
                "001_simplified_schema.sql": "applied", "002_providerd_extensions.sql": "applied", "003_budgets.sql": "applied",
                "004_dashboard.sql": "applied", "005_usage_rollup.sql": "applied", "006_unpriced_index.sql": "applied",
            ])
        let second = try actions(try cli.succeed(["migrate", "--json"]))
        #expect(
            second == [
                "001_simplified_schema.sql": "already applied", "002_providerd_extensions.sql": "already applied",
                "003_budgets.sql": "already applied", "004_dashboard.sql": "already applied",
                "005_usage_rollup.sql": "already applied", "006_unpriced_index.sql": "already applied",
            ])

        let connection = try database.connect()
        let rows = try connection.query("SELECT service_name, model_string, temperature FROM model_config ORDER BY 1")
        #expect(rows.rows.map { $0["service_name"] } == ["document_agent", "embeddings", "rag_agent"])
        #expect(rows.rows.map { $0["temperature"] } == ["0.7", "0", "0.7"])
        let recorded = try connection.query("SELECT version, adopted FROM providerd_migrations ORDER BY 1")
        #expect(recorded.rows.map { $0["version"] } == ["001", "002", "003", "004", "005", "006"])
        #expect(recorded.rows.map { $0["adopted"] } == ["f", "f", "f", "f", "f", "f"])
    }

    @Test("001 runs with psql -v ON_ERROR_STOP=1 on plain PostgreSQL (no Supabase roles), twice")
    func psqlRoute() throws {
        let database = try TestDatabase()
        for _ in 0..<2 {
            let output = try database.psqlFile(Self.migration001)
            #expect(output.status == 0, "\(output.stderrText)")
        }
        let connection = try database.connect()
        let rls = try connection.query(
            """
            SELECT relname, relrowsecurity FROM pg_class
            WHERE relname IN ('model_config', 'api_keys', 'model_usage') ORDER BY relname
            """)
        #expect(rls.rows.map { $0["relrowsecurity"] } == ["t", "t", "t"])
        let objects = try connection.query(
            """
            SELECT to_regproc('public.increment_usage') IS NOT NULL AS f1,
                   to_regproc('public.get_current_model') IS NOT NULL AS f2,
                   to_regclass('public.daily_usage_summary') IS NOT NULL AS v1,
                   to_regclass('public.active_model_config') IS NOT NULL AS v2
            """)
        #expect(objects.rows[0].values == ["t", "t", "t", "t"])
    }

    @Test("a database migrated by hand with psql is recognised; migrate continues from there")
    func handMigrated() throws {
        let database = try TestDatabase()
        #expect(try database.psqlFile(Self.migration001).status == 0)
        let connection = try database.connect()
        try connection.query("INSERT INTO api_keys (provider, encrypted_key) VALUES ('openai', 'gAAAA-existing')")
        let cli = ProviderdCLI(databaseURL: database.url)
        let outcome = try actions(try cli.succeed(["migrate", "--json"]))
        #expect(
            outcome == [
                "001_simplified_schema.sql": "adopted", "002_providerd_extensions.sql": "applied", "003_budgets.sql": "applied",
                "004_dashboard.sql": "applied", "005_usage_rollup.sql": "applied", "006_unpriced_index.sql": "applied",
            ])
        #expect(try connection.query("SELECT count(*) AS n FROM api_keys").rows[0]["n"] == "1")
        #expect(try actions(try cli.succeed(["migrate", "--json"])).values.allSatisfy { $0 == "already applied" })
    }

    @Test("legacy tables of the older provider system survive")
    func legacyTablesSurvive() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        try connection.query("CREATE TABLE provider_credentials (id int, secret text)")
        try connection.query("INSERT INTO provider_credentials VALUES (1, 'keep me')")
        try ProviderdCLI(databaseURL: database.url).succeed(["migrate"])
        #expect(try connection.query("SELECT secret FROM provider_credentials").rows[0]["secret"] == "keep me")
    }

    @Test("hosts migrating at once: the advisory lock serialises them; each migration applies once")
    func concurrent() async throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<4 { group.addTask { try cli.run(["migrate"]).status } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses == [0, 0, 0, 0])
        let count = try database.connect().query("SELECT count(*) AS n FROM providerd_migrations")
        #expect(count.rows[0]["n"] == String(Migration.all.count))
    }

    @Test("after 002, the seed's Python code still works: increment_usage, views, wide counters")
    func seedPythonStillWorks() throws {
        let database = try TestDatabase()
        try ProviderdCLI(databaseURL: database.url).succeed(["migrate"])
        let output = try ProcessRunner.python(
            """
            import sys, psycopg
            from datetime import datetime, timezone
            day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
            with psycopg.connect(sys.argv[1], autocommit=True) as conn:
                for _ in range(3):
                    conn.execute("SELECT increment_usage(%s, %s, %s::int, %s::numeric, %s)",
                                 ("rag_agent", "openai:gpt-4o-mini", 1500, 0.0025, day))
                row = conn.execute("SELECT total_requests, total_tokens, total_cost FROM daily_usage_summary").fetchone()
                print(row[0], row[1], row[2])
                print(conn.execute("SELECT get_current_model('rag_agent')").fetchone()[0])
                print(conn.execute("SELECT provider, model, api_key_configured FROM active_model_config WHERE service_name = 'rag_agent'").fetchone())
                conn.execute("INSERT INTO api_keys (provider, encrypted_key, is_active) VALUES ('openai', 'gAAAA-x', true)")
                print(conn.execute("SELECT api_key_configured FROM active_model_config WHERE service_name = 'rag_agent'").fetchone()[0])
                # A cost the seed's DECIMAL(10,6) could not hold
                conn.execute("SELECT increment_usage(%s, %s, %s::int, %s::numeric, %s)",
                             ("big", "openai:gpt-4o", 1, 25000.5, day))
                conn.execute("UPDATE model_usage SET total_tokens = 5000000000 WHERE service_name = 'big'")
                print(conn.execute("SELECT estimated_cost, total_tokens FROM model_usage WHERE service_name = 'big'").fetchone())
                print(conn.execute("SELECT count(*) FROM get_daily_costs((now() - interval '1 day')::date)").fetchone()[0])
            """, [database.url])
        let lines = output.stdoutText.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "3 4500 0.0075",
                "openai:gpt-4o-mini",
                "('openai', 'gpt-4o-mini', None)",
                "True",
                "(Decimal('25000.5'), 5000000000)",
                "1",
            ])
    }

    @Test("002 lets any provider name in and fires NOTIFY providerd_config on changes")
    func providerPatternAndNotify() throws {
        let database = try TestDatabase()
        try ProviderdCLI(databaseURL: database.url).succeed(["migrate"])
        let connection = try database.connect()
        try connection.query("INSERT INTO api_keys (provider, encrypted_key) VALUES ('openrouter', 'gAAAA-x')")
        #expect(throws: PostgresError.self) {
            try connection.query("INSERT INTO api_keys (provider, encrypted_key) VALUES ('Bad Name', 'gAAAA-x')")
        }
        let before = try connection.query("SELECT version FROM providerd_config_version").rows[0]["version"]
        let output = try ProcessRunner.python(
            """
            import sys, psycopg
            listener = psycopg.connect(sys.argv[1], autocommit=True)
            listener.execute("LISTEN providerd_config")
            with psycopg.connect(sys.argv[1], autocommit=True) as writer:
                writer.execute("UPDATE model_config SET temperature = 0.5 WHERE service_name = 'rag_agent'")
            for note in listener.notifies(timeout=5, stop_after=1):
                print(note.channel, note.payload)
            """, [database.url])
        #expect(output.stdoutText == "providerd_config model_config\n")
        let after = try connection.query("SELECT version FROM providerd_config_version").rows[0]["version"]
        #expect(Int(after!)! > Int(before!)!)
    }
}
