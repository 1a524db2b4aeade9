import Glibc
import Testing

@testable import ProviderdCore

@Suite("Child environment and the env file reader")
struct ChildEnvironmentTests {
    static let tricky = [
        "plain": "sk-abc123", "spaces": "a b  c", "dollar": "pa$$word", "backtick": "a`b", "quotes": "say \"hi\"",
        "single": "it's", "backslash": #"C:\path\"#, "hash": "a #not a comment", "unicode": "ключ-🔑", "empty": "",
        "equals": "a=b==",
    ]

    @Test("a render's lines read back to exactly the stored values")
    func renderReadsBack() throws {
        var renderer = ConfigRenderer(table: EnvNameTable())
        var candidates: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        for (index, (name, value)) in Self.tricky.sorted(by: { $0.key < $1.key }).enumerated() {
            let provider = "p\(index)-\(name)"
            candidates[provider] = .success(ProviderSecrets(provider: provider, apiKey: value))
        }
        let result = renderer.render(candidates: candidates, services: [])
        let environment = try ChildEnvironment(render: result, generation: 4)
        for (index, (name, value)) in Self.tricky.sorted(by: { $0.key < $1.key }).enumerated() {
            let variable = EnvNameTable.upperSnake("p\(index)-\(name)") + "_API_KEY"
            #expect(environment.variables[variable] == value, "\(variable)")
        }
        #expect(environment.generation == 4)
        #expect(environment.variables[ChildEnvironment.generationName] == nil)
    }

    @Test("the env file reader takes what providerd writes, and the generation apart")
    func readsFile() throws {
        let text = "A_KEY=bare\nB_KEY='a $b c'\nC_KEY=\"it's \\\"x\\\"\"\nEMPTY=\n# a comment\n\nPROVIDERD_GENERATION=12\n"
        let environment = try EnvFileReader.parse(Array(text.utf8), file: "f.env")
        #expect(environment.variables == ["A_KEY": "bare", "B_KEY": "a $b c", "C_KEY": "it's \"x\"", "EMPTY": ""])
        #expect(environment.generation == 12)
    }

    @Test(
        "a file that is not as providerd writes it is refused, naming the line, never the value",
        arguments: [
            ("A=1\nexport B=2\n", "line 2"),
            ("A=1\nB='unterminated\n", "line 2"),
            ("A=sec\"ret\n", "line 1"),
            ("A=x y\n", "line 1"),
            ("A=1\nA=2\n", "set twice"),
            ("1A=x\n", "not a variable name"),
            ("A=1\r\n", "line 1"),
            ("PROVIDERD_GENERATION=x\n", "not a number"),
            ("justtext\n", "not NAME=value"),
        ])
    func refusals(text: String, expected: String) {
        #expect {
            try EnvFileReader.parse(Array(text.utf8), file: "f.env")
        } throws: { error in
            let message = "\(error)"
            return message.contains(expected) && message.contains("f.env") && !message.contains("sec\"ret") && !message.contains("x y")
        }
    }

    @Test("bytes that are not UTF-8 are refused")
    func notUTF8() {
        #expect(throws: ExecError.self) { try EnvFileReader.parse([0x41, 0x3D, 0xFF, 0x0A], file: "f") }
    }

    @Test("a value execve cannot carry is refused with its name and size")
    func tooLong() {
        let long = String(repeating: "k", count: ChildEnvironment.maxEntryBytes)
        #expect {
            try ChildEnvironment(variables: ["BIG_API_KEY": long], generation: 1)
        } throws: { error in
            "\(error)".contains("BIG_API_KEY") && "\(error)".contains("\(long.utf8.count) bytes") && !"\(error)".contains("kkkk")
        }
    }

    @Test("the generation alone is no change")
    func sameValues() throws {
        let a = try ChildEnvironment(variables: ["K": "v"], generation: 1)
        let b = try ChildEnvironment(variables: ["K": "v"], generation: 2)
        let c = try ChildEnvironment(variables: ["K": "w"], generation: 2)
        #expect(a.sameValues(as: b))
        #expect(!a.sameValues(as: c))
        #expect(a.fingerprint == b.fingerprint)
        #expect(a.fingerprint != c.fingerprint)
    }

    @Test("the child's environment: providerd's own, minus managed names and providerd-only secrets, plus the values")
    func merged() throws {
        let values = try ChildEnvironment(variables: ["OPENAI_API_KEY": "new"], generation: 3)
        let base = [
            "PATH": "/bin", "OPENAI_API_KEY": "stale", "ANTHROPIC_API_KEY": "withheld", "ARCHON_ENCRYPTION_KEY": "fernet",
            "NOTIFY_SOCKET": "/run/x", "HOME": "/root", "PROVIDERD_GENERATION": "1",
        ]
        let merged = values.merged(into: base, managed: ["ANTHROPIC_API_KEY"], extra: ["PROVIDERD_SOCKET": "/s"])
        #expect(
            merged == [
                "PATH": "/bin", "HOME": "/root", "OPENAI_API_KEY": "new", "PROVIDERD_GENERATION": "3", "PROVIDERD_SOCKET": "/s",
            ])
    }
}

extension ChildEnvironmentTests {
    @Test("a withheld provider's every name is kept out of what the child inherits, even when never rendered in this process")
    func withheldNames() {
        var result = RenderResult(envLines: ["ANTHROPIC_API_KEY=a"], services: [:], problems: [], staleProviders: [], providersWithKeys: ["anthropic"])
        result.withheldProviders = ["openai": "cap", "acme": "cap2"]
        let names = ProviderdExec.withheldNames(result, table: EnvNameTable())
        #expect(names == ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_EXTRA_HEADERS", "ACME_API_KEY", "ACME_BASE_URL", "ACME_EXTRA_HEADERS"])
        let child = (try? ChildEnvironment(variables: ["ANTHROPIC_API_KEY": "a"], generation: 1))!
        let merged = child.merged(into: ["OPENAI_API_KEY": "from-the-container", "HOME": "/h"], managed: names, extra: [:])
        #expect(merged["OPENAI_API_KEY"] == nil)
        #expect(merged["HOME"] == "/h")
    }
}
