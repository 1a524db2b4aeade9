import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("models set/list/bulk-update as the seed's ModelConfigService", .enabled(if: TestEnvironment.databaseTestsEnabled))
struct ModelsCommandTests {
    func services(_ cli: ProviderdCLI) throws -> [String: [String: Any]] {
        let document = try cli.json(["models", "list"]) as? [String: Any]
        let rows = document?["services"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["service"] as! String, $0) })
    }

    @Test("list: configured rows plus the seed's nine default services, marked")
    func listWithDefaults() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let all = try services(cli)
        #expect(all.count == 9)
        #expect(all["rag_agent"]?["default"] as? Bool == false)
        #expect(all["task_agent"]?["default"] as? Bool == true)
        #expect(all["validation"]?["model"] as? String == "openai:gpt-3.5-turbo")
        #expect(all["embeddings"]?["temperature"] as? Double == 0.0)
        let table = try cli.succeed(["models", "list"]).stdoutText
        #expect(table.contains("task_agent"))
        #expect(table.contains("default"))
    }

    @Test("set upserts; temperature, max_tokens and updated_by change only when given")
    func setRules() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        try cli.succeed([
            "models", "set", "my_agent", "openrouter:anthropic/claude-3.5-sonnet",
            "--temperature", "0.2", "--max-tokens", "4096", "--updated-by", "alice",
        ])
        try cli.succeed(["models", "set", "my_agent", "ollama:llama3:8b"])
        let row = try #require(try services(cli)["my_agent"])
        #expect(row["model"] as? String == "ollama:llama3:8b")
        #expect(row["temperature"] as? Double == 0.2)
        #expect(row["max_tokens"] as? Int == 4096)
        #expect(row["updated_by"] as? String == "alice")
        try cli.succeed(["models", "set", "fresh", "openai:gpt-4o"])
        #expect(try services(cli)["fresh"]?["temperature"] as? Double == 0.7)
    }

    @Test("the seed's validation errors, exit status 2, nothing written")
    func setErrors() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let cases: [([String], String)] = [
            (["models", "set", "x", "gpt-4o"], "use provider:model-name, e.g. openai:gpt-4o"),
            (["models", "set", "x", "openai:gpt-4o", "--temperature", "2.5"], "temperature: must be from 0.0 to 2.0"),
            (["models", "set", "x", "openai:gpt-4o", "--temperature=-0.1"], "temperature: must be from 0.0 to 2.0"),
            (["models", "set", "x", "openai:gpt-4o", "--max-tokens", "0"], "max_tokens: must be greater than 0"),
            (["models", "set", "x", "openai:gpt-4o", "--temperature", "warm"], "temperature"),
            (["models", "bulk-update", "--from", "openai", "--to", "Open Router"], "is not a provider name"),
            (["models", "bulk-update", "--from", "openai", "--to", "x", "--map", "nonsense"], "must be OLD=NEW"),
        ]
        for (arguments, message) in cases {
            let output = try cli.run(arguments)
            #expect(output.status == 2, "\(arguments): \(output.stderrText)")
            #expect(output.stderrText.contains(message), "\(arguments): \(output.stderrText)")
        }
        #expect(try services(cli)["x"] == nil)
    }

    @Test("set warns about an unknown provider but stores it, as the seed allowed")
    func unknownProviderWarns() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        let output = try cli.succeed(["models", "set", "x", "acme:big-model"])
        #expect(output.stderrText.contains("unknown provider 'acme'"))
        #expect(try services(cli)["x"]?["model"] as? String == "acme:big-model")
    }

    @Test("bulk-update moves defaults and rows, maps model names, counts services")
    func bulkUpdate() throws {
        let database = try TestDatabase()
        let cli = ProviderdCLI(databaseURL: database.url)
        try cli.succeed(["migrate"])
        try cli.succeed(["models", "set", "rag_agent", "anthropic:claude-3-haiku-20240307"])
        let report =
            try cli.json([
                "models", "bulk-update", "--from", "openai", "--to", "openrouter",
                "--map", "gpt-4o=openai/gpt-4o",
            ]) as? [String: Any]
        // Nine default services, minus rag_agent (now anthropic).
        #expect(report?["updated"] as? Int == 8)
        let all = try services(cli)
        #expect(all["document_agent"]?["model"] as? String == "openrouter:openai/gpt-4o")
        #expect(all["task_agent"]?["model"] as? String == "openrouter:openai/gpt-4o")
        #expect(all["validation"]?["model"] as? String == "openrouter:gpt-3.5-turbo")
        #expect(all["task_agent"]?["updated_by"] as? String == "bulk_update")
        #expect(all["task_agent"]?["default"] as? Bool == false)
        #expect(all["embeddings"]?["temperature"] as? Double == 0.0)
        #expect(all["rag_agent"]?["model"] as? String == "anthropic:claude-3-haiku-20240307")
        let again = try cli.json(["models", "bulk-update", "--from", "openai", "--to", "openrouter"]) as? [String: Any]
        #expect(again?["updated"] as? Int == 0)
    }
}
