import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

/// The schema as an operator's bad day leaves it: a constraint or a policy
/// dropped, a column gone nullable. What the daemon reads must still meet its
/// own rules, and a change it cannot explain must be said, not rendered quietly.
@Suite("Schema drift: dropped constraints, dropped policies, NULLs", .enabled(if: TestEnvironment.databaseTestsEnabled), .serialized)
struct SchemaDriftTests {
    func cli(_ fixture: DaemonFixture) -> ProviderdCLI { fixture.renderCLI }

    @Test(
        "a provider name the CHECK no longer stops cannot write a line of its own into providers.env: sh, bash and python-dotenv read no injected variable, no command runs"
    )
    func injectedProviderName() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-real")
        let token = try cli.succeed(["encrypt"], stdin: "sk-injected").stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try admin.query("ALTER TABLE api_keys DROP CONSTRAINT valid_provider")
        let hostile = "openai_base_url=https://evil.example/v1\n:>pwned\nz"
        try admin.query("INSERT INTO api_keys (provider, encrypted_key, is_active) VALUES ($1, $2, true)", [hostile, token])

        let render = try cli.run(["render"])
        #expect(render.status == 1, "a refused provider makes render exit 1")
        #expect(render.stderrText.contains("not a provider name"), "\(render.stderrText)")
        #expect(!render.stderrText.contains("\n:>pwned"), "the hostile name reached the log raw")
        let env = fixture.envText()
        #expect(env == "OPENAI_API_KEY=sk-real\nPROVIDERD_GENERATION=1\n", "\(env)")

        let sandbox = try TemporaryDirectory()
        let shell = try ProcessRunner.run(
            "/bin/bash", ["-c", "cd \"$1\" && set -a && . \"$2\" && printf '%s' \"${OPENAI_BASE_URL:-unset}\"", "bash", sandbox.path, fixture.envFile])
        #expect(shell.stdoutText == "unset")
        #expect(!FileManager.default.fileExists(atPath: sandbox.file("PWNED")))
        let dotenv = try ProcessRunner.python("import dotenv, sys; print(sorted(dotenv.dotenv_values(sys.argv[1])))", [fixture.envFile])
        #expect(dotenv.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == "['OPENAI_API_KEY', 'PROVIDERD_GENERATION']")

        // The daemon refuses it the same way, and says so in STATUS.
        let daemon = try fixture.start()
        let ready = try fixture.waitReady()
        #expect(ready.fields["STATUS"]?.contains("degraded") == true, "\(ready.text)")
        #expect(fixture.envText() == env)
        #expect(daemon.log.contains("not a provider name"))
        #expect(daemon.stop() == 0)
    }

    @Test("one NULL encrypted_key or model_string after a schema change: that row is refused, every other row renders, STATUS is not 'unreachable'")
    func nullColumns() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-fine")
        try cli.succeed(["models", "set", "good_agent", "openai:gpt-4o"])
        let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try admin.query("ALTER TABLE api_keys ALTER COLUMN encrypted_key DROP NOT NULL")
        try admin.query("ALTER TABLE model_config ALTER COLUMN model_string DROP NOT NULL")
        try admin.query("INSERT INTO api_keys (provider, encrypted_key, is_active) VALUES ('anthropic', NULL, true)")
        try admin.query("INSERT INTO model_config (service_name, model_string) VALUES ('null_agent', NULL)")

        let render = try cli.run(["render"])
        #expect(render.status == 1)
        #expect(render.stderrText.contains("encrypted_key is NULL"), "\(render.stderrText)")
        #expect(render.stderrText.contains("model_string is NULL"), "\(render.stderrText)")
        #expect(fixture.envText() == "OPENAI_API_KEY=sk-fine\nPROVIDERD_GENERATION=1\n")
        #expect(fixture.mapText().contains("\"good_agent\""))
        #expect(!fixture.mapText().contains("null_agent"))

        let daemon = try fixture.start()
        let ready = try fixture.waitReady()
        let status = ready.fields["STATUS"] ?? ""
        #expect(!status.contains("unreachable"), "\(status)")
        #expect(status.contains("degraded"), "\(status)")
        try cli.succeed(["keys", "set", "groq"], stdin: "gsk-after")
        #expect(fixture.envFileEventually(contains: "GROQ_API_KEY=gsk-after"))
        #expect(daemon.stop() == 0)
    }

    @Test(
        "a dropped row-level-security policy hides every key: the daemon warns and says so in STATUS, check exits 1 naming the policy problem, not missing migrations"
    )
    func droppedPolicy() async throws {
        try await onThread {
            let fixture = try DaemonFixture()
            let admin = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
            try fixture.cli.succeed(["keys", "set", "openai"], stdin: "sk-policy")
            try fixture.cli.succeed(["keys", "set", "groq"], stdin: "gsk-policy")
            let test = try TestRole(prefix: "providerd_rls", admin: admin)
            defer { withExtendedLifetime(test) {} }  // dropped only once the test is over
            let role = test.name
            try admin.query("GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role)")
            for table in ["api_keys", "model_config", "providerd_config_version"] {
                try admin.query("CREATE POLICY \(role)_reads ON \(table) FOR SELECT TO \(role) USING (true)")
            }
            let url = test.url(from: fixture.url)
            fixture.extraEnvironment["DATABASE_URL"] = url
            let daemon = try fixture.start()
            _ = try fixture.waitReady()
            #expect(fixture.envText().contains("OPENAI_API_KEY=sk-policy"))

            try admin.query("DROP POLICY \(role)_reads ON api_keys")
            let seen = fixture.notify.all.count
            try fixture.cli.succeed(["models", "set", "policy_agent", "openai:gpt-4o"])
            let warned = try fixture.notify.wait(after: seen) { $0.fields["STATUS", default: ""].contains("api_keys shows no rows") }
            #expect(warned.message.fields["STATUS", default: ""].contains("2 providers before"), "\(warned.message.text)")
            #expect(daemon.log.contains("api_keys shows no rows where it showed providers"))
            #expect(daemon.stop() == 0)

            var check = ProviderdCLI(databaseURL: url, encryptionKey: fixture.key.base64)
            check.environment["PROVIDERD_STATE_DIR"] = fixture.stateDir
            let result = try check.run(["check"])
            #expect(result.status == 1, "\(result.stdoutText)")
            #expect(result.stdoutText.contains("none visible to \(role): row-level security hides them"), "\(result.stdoutText)")
            #expect(!result.stdoutText.contains("not applied"), "\(result.stdoutText)")

            // A restart still knows: the sealed state kept the keys it last saw.
            let before = fixture.notify.all.count
            let again = try fixture.start()
            let ready = try fixture.waitReady(after: before)
            #expect(ready.fields["STATUS", default: ""].contains("api_keys shows no rows"), "\(ready.text)")
            #expect(again.stop() == 0)
        }
    }
}
