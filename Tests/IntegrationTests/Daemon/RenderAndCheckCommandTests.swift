import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("providerd render and providerd check", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct RenderAndCheckCommandTests {
    func cli(_ fixture: DaemonFixture) -> ProviderdCLI { fixture.renderCLI }

    @Test("render writes both files once and exits 0; refuses while run holds the state directory")
    func render() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        try cli.succeed(["keys", "set", "deepseek"], stdin: "ds-render")
        try cli.succeed(["render"])
        #expect(fixture.envText() == "DEEPSEEK_API_KEY=ds-render\nPROVIDERD_GENERATION=1\n")
        #expect(fixture.mapText().contains("\"generation\" : 1"))
        try cli.succeed(["render"])
        #expect(fixture.envText().hasSuffix("PROVIDERD_GENERATION=1\n"))

        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        let locked = try cli.run(["render"])
        #expect(locked.status == 1)
        #expect(locked.stderrText.contains("another providerd"))
        #expect(daemon.stop() == 0)

        // A database that cannot be reached: exit 1, files untouched.
        var down = cli
        down.environment["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
        let failed = try down.run(["render"])
        #expect(failed.status == 1)
        #expect(fixture.envText() == "DEEPSEEK_API_KEY=ds-render\nPROVIDERD_GENERATION=1\n")
        #expect(!failed.stderrText.contains("ds-render"))
    }

    @Test("check: a table of ok lines and exit 0 on a healthy setup; JSON on request")
    func healthy() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        try FileManager.default.createDirectory(atPath: fixture.stateDir, withIntermediateDirectories: true)
        try cli.succeed(["keys", "set", "openai"], stdin: "sk-check-ok")
        let output = try cli.succeed(["check"])
        #expect(output.stdoutText.contains("key openai"))
        #expect(output.stdoutText.contains("decrypts with key id \(fixture.key.id)"))
        #expect(output.stdoutText.contains("migrations"))
        #expect(!output.stdoutText.contains("sk-check-ok") && !output.stderrText.contains("sk-check-ok"))
        let document = try cli.json(["check"]) as? [String: Any]
        #expect(document?["ok"] as? Bool == true)
        let checks = document?["checks"] as? [[String: String]] ?? []
        #expect(checks.contains { $0["check"] == "role" && $0["detail"]?.contains("bypasses row-level security") == true })
    }

    @Test("check: a key that does not decrypt, a value no line carries and a bad model string are problems (exit 1)")
    func problems() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        let stranger = try FernetKey.generate()
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        // `keys set` refuses such a value; a row another writer stored is still checked.
        try connection.query(
            "INSERT INTO api_keys (provider, encrypted_key) VALUES ('openai', $1)",
            [try Fernet.encrypt(Array("sk-$mixed'quote".utf8), key: fixture.key)])
        try connection.query(
            "INSERT INTO api_keys (provider, encrypted_key) VALUES ('groq', $1)",
            [try Fernet.encrypt(Array("gsk-stranger".utf8), key: stranger)])
        try connection.query("INSERT INTO model_config (service_name, model_string) VALUES ('broken', 'Bad Provider:x'), ('odd', 'acme:y')")
        let output = try cli.run(["check"])
        #expect(output.status == 1)
        let lines = output.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("key groq") && $0.contains("error") && $0.contains(fixture.key.id) })
        #expect(lines.contains { $0.hasPrefix("key openai") && $0.contains("error") && $0.contains("single quote") })
        #expect(lines.contains { $0.hasPrefix("model broken") && $0.contains("error") })
        #expect(lines.contains { $0.hasPrefix("model odd") && $0.contains("warning") && $0.contains("unknown provider") })
        for secret in ["sk-$mixed", "mixed'quote", "gsk-stranger"] {
            #expect(!output.stdoutText.contains(secret) && !output.stderrText.contains(secret))
        }
    }

    @Test("check on a database without the schema says to migrate")
    func unmigrated() throws {
        let database = try TestDatabase()
        let key = try FernetKey.generate()
        let output = try ProviderdCLI(databaseURL: database.url, encryptionKey: key.base64).run(["check"])
        #expect(output.status == 1)
        #expect(output.stdoutText.contains("run `providerd migrate`"))
    }

    @Test("temperature NaN in model_config: the daemon keeps the service's last good entry, render exits 1 with a valid map, check reports it")
    func nonFiniteTemperature() throws {
        let fixture = try DaemonFixture()
        let cli = cli(fixture)
        try cli.succeed(["models", "set", "nan_agent", "openai:gpt-4o", "--temperature", "0.3"])
        let daemon = try fixture.start()
        _ = try fixture.waitReady()
        #expect(fixture.mapText().contains("nan_agent"))
        let connection = try PostgresConnection(ConnectionOptions(conninfo: fixture.url))
        try connection.query("UPDATE model_config SET temperature = 'NaN', model_string = 'openai:gpt-4o-mini' WHERE service_name = 'nan_agent'")
        try connection.query(
            "INSERT INTO model_config (service_name, model_string, temperature, max_tokens) VALUES ('inf_agent', 'openai:gpt-4o', 'Infinity', -3)")
        #expect(DaemonProcess.eventually { daemon.log.contains("model_config row cannot be written") })
        let map = try JSONSerialization.jsonObject(with: Data(fixture.mapText().utf8)) as? [String: Any]
        let services = map?["services"] as? [String: [String: Any]]
        #expect(services?["nan_agent"]?["temperature"] as? Double == 0.3)
        #expect(services?["nan_agent"]?["model"] as? String == "openai:gpt-4o")
        #expect(services?["inf_agent"] == nil)
        #expect(services?["rag_agent"] != nil)
        #expect(daemon.stop() == 0)

        let render = try cli.run(["render"])
        #expect(render.status == 1)
        #expect(render.stderrText.contains("service inf_agent") && render.stderrText.contains("service nan_agent"), "\(render.stderrText)")
        #expect((try? JSONSerialization.jsonObject(with: Data(fixture.mapText().utf8))) != nil)
        #expect(fixture.mapText().utf8.count > 100)
        let check = try cli.run(["check"])
        #expect(check.status == 1)
        let lines = check.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("settings nan_agent") && $0.contains("got nan") })
        #expect(lines.contains { $0.hasPrefix("settings inf_agent") && $0.contains("got inf") && $0.contains("max_tokens must be greater than 0") })
    }
}
