import Foundation
import TestSupport
import Testing

@testable import ProviderdCore

@Suite("Env file values read back exactly by bash, dash and python-dotenv")
struct EnvValueQuotingTests {
    static let carried: [String] = [
        "sk-proj_AZaz09@%+=:,./-", "", "has space", " leading and trailing ", "has#hash", "#start", "a=b=c",
        "dollar$sign", "$HOME", "$", "$(id)", "back`tick`", "\"double\"", "it's", "back\\slash", "both'and\\",
        "'quoted'", "{braces}", "semi;colon|pipe&amp", "*glob?[x]", "~tilde", "!bang", "ünïcödé 🔑", "x\\n",
        "ends with backslash\\", "\\\"", "price: $5 {ok}",
        // Found by fuzzing: a backslash before a combining mark is one Character with it.
        "2\\3\\\\2\\\u{0367}\\", "q\"\u{0301}",
    ]
    static let refused: [(String, String)] = [
        ("$HOME'x", "'$' together with a single quote"),
        ("a`b\\c", "a backtick together with a backslash"),
        ("${X}", "'${'"),
        ("nul\u{0}x", "NUL"),
        ("new\nline", "newline"),
        ("bell\u{7}", "control character U+0007"),
        ("tab\tx", "control character U+0009"),
    ]

    @Test("the quoting classes")
    func classes() throws {
        #expect(try EnvValueQuoting.quote("sk-abc_123") == "sk-abc_123")
        #expect(try EnvValueQuoting.quote("a b$c") == "'a b$c'")
        #expect(try EnvValueQuoting.quote("it's \\ \"x\"") == "\"it's \\\\ \\\"x\\\"\"")
        for (value, reason) in Self.refused {
            do {
                _ = try EnvValueQuoting.quote(value)
                Issue.record("accepted a value no line can carry")
            } catch {
                #expect(error.reason.contains(reason), "\(error.reason)")
                #expect(!error.reason.contains(value))
            }
        }
    }

    func renderedFile(_ directory: TemporaryDirectory) throws -> (path: String, expected: [String: String]) {
        var candidates: [String: Result<ProviderSecrets, ProviderProblem>] = [:]
        var expected: [String: String] = [:]
        for (index, value) in Self.carried.enumerated() {
            let provider = "p\(index)"
            candidates[provider] = .success(ProviderSecrets(provider: provider, apiKey: value))
            expected["P\(index)_API_KEY"] = value
        }
        var renderer = ConfigRenderer(table: EnvNameTable())
        let result = renderer.render(candidates: candidates, services: [])
        #expect(result.problems.isEmpty)
        let path = directory.file("providers.env")
        try result.envFile(generation: 3).write(toFile: path, atomically: true, encoding: .utf8)
        expected["PROVIDERD_GENERATION"] = "3"
        return (path, expected)
    }

    static func parseEnv0(_ bytes: [UInt8]) -> [String: String] {
        var values: [String: String] = [:]
        for entry in bytes.split(separator: 0, omittingEmptySubsequences: true) {
            let text = String(decoding: entry, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            values[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        return values
    }

    @Test("bash source and dash '.' with set -a read every value exactly", arguments: ["/bin/bash", "/bin/dash"])
    func shells(shell: String) throws {
        let directory = try TemporaryDirectory()
        let (path, expected) = try renderedFile(directory)
        let output = try ProcessRunner.run(shell, ["-c", "set -a; . \"$1\"; env -0", "sh", path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(output.status == 0, "\(output.stderrText)")
        let values = Self.parseEnv0(output.stdout)
        for (name, value) in expected {
            #expect(values[name] == value, "\(shell): \(name)")
        }
    }

    @Test(
        "python-dotenv, with and without interpolation, reads every value exactly",
        .enabled(if: TestEnvironment.pythonTestsEnabled))
    func dotenv() throws {
        let directory = try TemporaryDirectory()
        let (path, expected) = try renderedFile(directory)
        for interpolate in ["True", "False"] {
            let output = try ProcessRunner.python(
                """
                import json, sys
                from dotenv import dotenv_values
                print(json.dumps(dotenv_values(sys.argv[1], interpolate=\(interpolate))))
                """, [path], environment: ["HOME": "/nonexistent-home", "X": "expanded"])
            let values = try JSONDecoder().decode([String: String?].self, from: Data(output.stdout))
            #expect(values.count == expected.count)
            for (name, value) in expected {
                #expect(values[name] == .some(value), "interpolate=\(interpolate): \(name)")
            }
        }
    }
}
