import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

// Each body runs on a thread of its own (`onThread`): it blocks on processes,
// sockets and waits, and a blocked cooperative thread would stall the suite's
// in-process servers.
@Suite("One configuration for every command: --config, then the environment, then flags", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct ConfigFileTests {
    @Test("after editing the YAML, migrate, keys, models, usage and check reach its database with its keys; no DATABASE_URL, no key variable")
    func everyCommandReadsTheFile() async throws {
        try await onThread {
            let database = try TestDatabase()
            let directory = try TemporaryDirectory()
            let keyFile = directory.file("providerd.keys")
            let key = try FernetKey.generate()
            try Data((key.base64 + "\n").utf8).write(to: URL(fileURLWithPath: keyFile))
            chmod(keyFile, 0o600)
            let config = directory.file("providerd.yaml")
            try Data(
                """
                database:
                  url: \(database.url)
                keys:
                  file: \(keyFile)
                output:
                  env_file: \(directory.file("providers.env"))
                  model_map: \(directory.file("models.json"))
                  env_names:
                    - acme=ACME_TOKEN
                state:
                  dir: \(directory.file("state"))

                """.utf8
            ).write(to: URL(fileURLWithPath: config))
            let cli = ProviderdCLI()
            // Without the file nothing reaches the test database.
            #expect(try cli.run(["migrate"]).status != 0)
            try cli.succeed(["migrate", "--config", config])
            try cli.succeed(["keys", "set", "openai", "--config", config], stdin: "sk-from-config\n")
            try cli.succeed(["keys", "set", "acme", "--config", config], stdin: "acme-token\n")
            let listed = try cli.json(["keys", "list", "--config", config]) as? [String: Any]
            let providers = (listed?["keys"] as? [[String: Any]])?.compactMap { $0["provider"] as? String }
            #expect(Set(providers ?? []) == ["openai", "acme"], "\(String(describing: listed))")
            #expect(try cli.succeed(["decrypt", "--config", config], stdin: try Fernet.encrypt(Array("round".utf8), key: key)).stdoutText.hasPrefix("round"))
            try cli.succeed(["models", "set", "cfg_agent", "openai:gpt-4o", "--config", config])
            #expect(try cli.succeed(["models", "list", "--config", config]).stdoutText.contains("cfg_agent"))
            try cli.succeed(["usage", "summary", "--config", config])
            let check = try cli.run(["check", "--json", "--config", config])
            let report = try JSONSerialization.jsonObject(with: Data(check.stdout)) as? [String: Any]
            let items = (report?["checks"] as? [[String: Any]]) ?? []
            let status = Dictionary(items.map { ($0["check"] as? String ?? "", $0["status"] as? String ?? "") }) { first, _ in first }
            #expect(
                status["encryption keys"] == "ok" && status["database"] != "error" && status["config file"] == "ok",
                "\(check.stdoutText)")
            try cli.succeed(["render", "--config", config])
            let env = try String(contentsOfFile: directory.file("providers.env"), encoding: .utf8)
            #expect(env.contains("ACME_TOKEN=acme-token") && env.contains("OPENAI_API_KEY=sk-from-config"))
        }
    }

    @Test("check warns when a config file holding a database password is readable by others, and never shows the password")
    func worldReadablePassword() async throws {
        try await onThread {
            let directory = try TemporaryDirectory()
            let config = directory.file("providerd.yaml")
            try Data("database:\n  url: postgresql://providerd:Pw-in-file-77@127.0.0.1:1/postgres\n".utf8).write(to: URL(fileURLWithPath: config))
            let cli = ProviderdCLI(encryptionKey: try FernetKey.generate().base64)
            func item() throws -> (status: String?, detail: String, all: String) {
                let output = try cli.run(["check", "--json", "--config", config])
                let report = try JSONSerialization.jsonObject(with: Data(output.stdout)) as? [String: Any]
                let line = ((report?["checks"] as? [[String: Any]]) ?? []).first { $0["check"] as? String == "config file" }
                return (line?["status"] as? String, line?["detail"] as? String ?? "", output.stdoutText + output.stderrText)
            }
            chmod(config, 0o644)
            let open = try item()
            #expect(open.status == "warning" && open.detail.contains("readable by every user"), "\(open.all)")
            #expect(!open.all.contains("Pw-in-file-77"))
            chmod(config, 0o640)
            #expect(try item().status == "ok")
            // No password in the file: readable by all is fine.
            try Data("database:\n  url: postgresql://providerd@127.0.0.1:1/postgres\n".utf8).write(to: URL(fileURLWithPath: config))
            chmod(config, 0o644)
            #expect(try item().status == "ok")
        }
    }

    @Test("a config file of comments only is an empty configuration, not an error")
    func commentsOnly() async throws {
        try await onThread {
            let directory = try TemporaryDirectory()
            let config = directory.file("providerd.yaml")
            try Data("# everything commented out\n  # indented comment\n\n".utf8).write(to: URL(fileURLWithPath: config))
            let output = try ProviderdCLI(encryptionKey: try FernetKey.generate().base64).run(["check", "--json", "--config", config])
            #expect(!output.stderrText.contains("not a mapping"), "\(output.stderrText)")
            #expect(output.stdoutText.contains("\"config file\""), "\(output.stdoutText) \(output.stderrText)")
        }
    }
}
