import Testing

@testable import ProviderdCore

@Suite("Model strings, provider names and key input")
struct DomainRuleTests {
    @Test("provider is before the first colon, model name is the rest")
    func modelStringParts() throws {
        let model = try ModelString("ollama:llama3:8b")
        #expect(model.provider == "ollama")
        #expect(model.modelName == "llama3:8b")
        #expect(try ModelString("openai:gpt-4o").finding == .ok)
    }

    @Test("a combining mark after the colon: still split at the colon byte, as the usage parser and the database do (found by fuzzing)")
    func colonBeforeCombiningMark() throws {
        let value = "openai:\u{301}gpt-4o"
        let model = try ModelString(value)
        #expect(model.provider == "openai")
        #expect(model.modelName == "\u{301}gpt-4o")
        #expect(ModelString.split(value)! == ("openai", "\u{301}gpt-4o"))
        // The local provider is found (by its prefix) although its model is odd.
        let table = try PriceTable.builtIn()
        #expect(table.resolve("ollama:\u{301}llama3", regexes: RegexCache()) == .local(provider: "ollama"))
    }

    @Test("the seed's set rule: a colon is required, with its advice")
    func seedRule() {
        #expect(throws: InputError("model", "invalid model string 'gpt-4o': use provider:model-name, e.g. openai:gpt-4o")) {
            try ModelString("gpt-4o")
        }
        #expect(throws: InputError.self) { try ModelString("openai:gpt\n4o") }
    }

    @Test("check's rule: valid provider name and non-empty model; unknown provider only warns")
    func findings() throws {
        #expect(try ModelString("openai:").finding == .error("model name after 'openai:' is empty"))
        if case .error = try ModelString("Open AI:gpt").finding {} else { Issue.record("bad provider accepted") }
        #expect(try ModelString("acme-llm:big").finding == .warning("unknown provider 'acme-llm'"))
    }

    @Test("provider names follow ^[a-z][a-z0-9_-]{0,63}$")
    func providerNames() {
        for good in ["openai", "google-gla", "a", "x_1", String(repeating: "a", count: 64)] {
            #expect(ProviderName.isValid(good), "\(good)")
        }
        for bad in ["", "OpenAI", "1abc", "-x", "has space", "é", String(repeating: "a", count: 65)] {
            #expect(!ProviderName.isValid(bad), "\(bad)")
        }
    }

    @Test("a secret from stdin loses one trailing newline only")
    func stdinSecret() throws {
        #expect(try ProviderKeyInput.secret(fromStdin: Array("sk-1\n".utf8)) == "sk-1")
        #expect(try ProviderKeyInput.secret(fromStdin: Array("sk-1\r\n".utf8)) == "sk-1")
        #expect(try ProviderKeyInput.secret(fromStdin: Array("sk-1\n\n".utf8)) == "sk-1\n")
        #expect(try ProviderKeyInput.secret(fromStdin: Array("  sk-1 ".utf8)) == "  sk-1 ")
        #expect(throws: InputError.self) { try ProviderKeyInput.secret(fromStdin: [0xFF, 0xFE]) }
    }

    @Test("secrets that no env line could carry are refused without being echoed")
    func secretRules() throws {
        try ProviderKeyInput.validateSecret("sk-$weird'\"`\\")
        #expect(throws: InputError.self) { try ProviderKeyInput.validateSecret("") }
        for bad in ["sk-1\nsk-2", "sk\u{0}x", "sk\u{7}x"] {
            do {
                try ProviderKeyInput.validateSecret(bad)
                Issue.record("accepted a control character")
            } catch {
                #expect(!error.description.contains("sk"))
            }
        }
    }

    @Test("headers become a compact sorted JSON object; base URLs must be http(s)")
    func headersAndURLs() throws {
        #expect(try ProviderKeyInput.headersJSON(["X-B=2", "X-A=a=b"]) == #"{"X-A":"a=b","X-B":"2"}"#)
        #expect(try ProviderKeyInput.headersJSON([]) == nil)
        #expect(throws: InputError.self) { try ProviderKeyInput.headersJSON(["novalue"]) }
        #expect(throws: InputError.self) { try ProviderKeyInput.headersJSON(["Bad Name=x"]) }
        #expect(throws: InputError.self) { try ProviderKeyInput.headersJSON(["X-A=1", "X-A=2"]) }
        try ProviderKeyInput.validateBaseURL("http://localhost:11434/v1")
        #expect(throws: InputError.self) { try ProviderKeyInput.validateBaseURL("localhost:11434") }
        #expect(throws: InputError.self) { try ProviderKeyInput.validateBaseURL("https://a b") }
    }

    @Test("the seed's nine default services and the fallback")
    func defaults() {
        #expect(ServiceDefaults.models.count == 9)
        #expect(ServiceDefaults.model(for: "validation") == "openai:gpt-3.5-turbo")
        #expect(ServiceDefaults.model(for: "anything_else") == "openai:gpt-4o-mini")
    }
}
