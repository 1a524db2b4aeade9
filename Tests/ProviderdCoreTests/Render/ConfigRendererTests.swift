import Foundation
import Testing

@testable import ProviderdCore

@Suite("Rendering the env file and the model map")
struct ConfigRendererTests {
    func ok(
        _ provider: String, _ key: String, baseURL: String? = nil, headers: String? = nil
    )
        -> (String, Result<ProviderSecrets, ProviderProblem>)
    {
        (provider, .success(ProviderSecrets(provider: provider, apiKey: key, baseURL: baseURL, headers: headers)))
    }

    func render(
        _ renderer: inout ConfigRenderer, _ pairs: [(String, Result<ProviderSecrets, ProviderProblem>)],
        services: [ServiceConfig] = []
    ) -> RenderResult {
        renderer.render(candidates: Dictionary(uniqueKeysWithValues: pairs), services: services)
    }

    @Test("PydanticAI names, sorted lines, generation last; unknown providers get derived names")
    func names() {
        var renderer = ConfigRenderer(table: EnvNameTable())
        let result = render(
            &renderer,
            [
                ok("openai", "sk-o", baseURL: "https://proxy/v1"), ok("cohere", "co"), ok("huggingface", "hf"),
                ok("ollama", "ol", baseURL: "http://127.0.0.1:11434/v1"), ok("foo-bar", "fb", baseURL: "https://fb"),
                ok("mistral", "mi", headers: #"{"X-A":"1"}"#),
            ])
        #expect(
            result.envFile(generation: 4) == """
                CO_API_KEY=co
                FOO_BAR_API_KEY=fb
                FOO_BAR_BASE_URL=https://fb
                HF_TOKEN=hf
                MISTRAL_API_KEY=mi
                MISTRAL_EXTRA_HEADERS='{"X-A":"1"}'
                OLLAMA_API_KEY=ol
                OLLAMA_BASE_URL=http://127.0.0.1:11434/v1
                OPENAI_API_KEY=sk-o
                OPENAI_BASE_URL=https://proxy/v1
                PROVIDERD_GENERATION=4

                """)
        #expect(result.problems.isEmpty)
    }

    @Test("google and gemini fill each other's name only without their own row; xai wins over grok")
    func aliases() {
        var renderer = ConfigRenderer(table: EnvNameTable())
        #expect(render(&renderer, [ok("google", "g")]).envLines == ["GEMINI_API_KEY=g", "GOOGLE_API_KEY=g"])
        #expect(render(&renderer, [ok("google", "g"), ok("gemini", "m")]).envLines == ["GEMINI_API_KEY=m", "GOOGLE_API_KEY=g"])
        #expect(render(&renderer, [ok("gemini", "m")]).envLines == ["GEMINI_API_KEY=m", "GOOGLE_API_KEY=m"])
        #expect(render(&renderer, [ok("grok", "k")]).envLines == ["XAI_API_KEY=k"])
        #expect(render(&renderer, [ok("grok", "k"), ok("xai", "x")]).envLines == ["XAI_API_KEY=x"])
    }

    @Test("an unknown provider whose name is taken by a known one is refused; others render")
    func collisions() {
        var renderer = ConfigRenderer(table: EnvNameTable())
        let result = render(&renderer, [ok("co", "stolen"), ok("openai", "sk"), ok("foo-bar", "a"), ok("foo_bar", "b")])
        #expect(result.envLines == ["OPENAI_API_KEY=sk"])
        #expect(result.problems.map(\.provider) == ["co", "foo-bar", "foo_bar"])
        #expect(result.problems[0].reason.contains("CO_API_KEY belongs to a known provider"))
        #expect(!result.problems.map(\.reason).joined().contains("stolen"))
    }

    @Test("a value no line carries keeps the provider's last good value; the others update")
    func refusalKeepsLastGood() {
        var renderer = ConfigRenderer(table: EnvNameTable())
        _ = render(&renderer, [ok("openai", "sk-1"), ok("anthropic", "an-1")])
        let result = render(&renderer, [ok("openai", "sk-$x'y"), ok("anthropic", "an-2")])
        #expect(result.envLines == ["ANTHROPIC_API_KEY=an-2", "OPENAI_API_KEY=sk-1"])
        #expect(result.staleProviders == ["openai"])
        #expect(result.problems.count == 1)
        #expect(result.problems[0].reason.contains("'$' together with a single quote"))
        #expect(!result.problems[0].reason.contains("sk-"))
        // Without a last good value the provider is left out.
        var fresh = ConfigRenderer(table: EnvNameTable())
        #expect(render(&fresh, [ok("openai", "bad\nkey")]).envLines.isEmpty)
    }

    @Test("what a render keeps for the next (names, order, quoted values) never shows: each render equals a fresh renderer's")
    func keptBetweenRenders() {
        var kept = ConfigRenderer(table: EnvNameTable())
        let rounds: [[(String, Result<ProviderSecrets, ProviderProblem>)]] = [
            (0..<300).map { ok("p\($0)", "sk-\($0)") } + [ok("openai", "sk-1")],
            (0..<300).map { ok("p\($0)", $0 == 7 ? "sk $x" : "sk-\($0)") } + [ok("openai", "sk-1", baseURL: "https://a.test/v1")],
            (1..<300).map { ok("p\($0)", $0 == 7 ? "sk \"q\"" : "sk-\($0)") } + [ok("openai", "sk-2"), ok("zeta", "z")],
            (1..<300).map { ok("p\($0)", "sk-\($0)") } + [ok("openai", "sk-2"), ok("zeta", "z")],
        ]
        for (n, round) in rounds.enumerated() {
            var fresh = ConfigRenderer(table: EnvNameTable())
            #expect(render(&kept, round) == render(&fresh, round), "round \(n)")
        }
    }

    @Test(
        "the layout kept between renders follows every change of shape (a base URL or headers coming and going, a name conflict starting and ending, a row turning bad, an alias's owner leaving, a withheld key): each render equals a fresh renderer's"
    )
    func layoutFollowsShapes() {
        let failed: (String, Result<ProviderSecrets, ProviderProblem>) = (
            "p3", .failure(ProviderProblem(provider: "p3", reason: "does not decrypt"))
        )
        let base = (0..<50).map { ok("p\($0)", "sk-\($0)") }
        let rounds: [[(String, Result<ProviderSecrets, ProviderProblem>)]] = [
            base + [ok("google", "g"), ok("gemini", "m")],
            base + [ok("google", "g2"), ok("gemini", "m")],
            base + [ok("google", "g2")],
            base + [ok("google", "g2", baseURL: "https://g.test")],
            base + [ok("google", "g2", headers: #"{"x":"1"}"#)],
            base + [ok("google", "g2", headers: #"{"x":"1"}"#), ok("foo-bar", "a"), ok("foo_bar", "b")],
            base + [ok("google", "g3", headers: #"{"x":"1"}"#), ok("foo-bar", "a2"), ok("foo_bar", "b")],
            base + [ok("google", "g3"), ok("foo-bar", "a2")],
            Array(base.prefix(3)) + [failed] + Array(base.dropFirst(4)) + [ok("foo-bar", "a2")],
            Array(base.prefix(3)) + [ok("p3", "bad\nkey")] + Array(base.dropFirst(4)) + [ok("foo-bar", "a3")],
            base + [ok("xai", "x"), ok("grok", "k")],
            base + [ok("grok", "k")],
        ]
        let withholdP1 = BudgetRenderView(statuses: [
            BudgetStatus(
                budget: Budget(
                    id: 1, name: "cap", scope: .provider("p1"), period: .month, limit: 1, thresholds: [1], action: .withholdKey,
                    isActive: true),
                periodStart: 0, spent: 2, unpricedRequests: 0, asOf: 0)
        ])
        var kept = ConfigRenderer(table: EnvNameTable())
        for (n, round) in rounds.enumerated() {
            for budgets in [BudgetRenderView(), withholdP1] {
                // A fresh renderer with the same last good values, which the bad
                // rows fall back to.
                var freshLastGood = ConfigRenderer(table: EnvNameTable(), lastGood: kept.lastGood)
                let candidates = Dictionary(uniqueKeysWithValues: round)
                let keptResult = kept.render(candidates: candidates, services: [], budgets: budgets)
                #expect(keptResult == freshLastGood.render(candidates: candidates, services: [], budgets: budgets), "round \(n)")
                #expect(keptResult.envLines == keptResult.envLines.sorted(), "round \(n)")
            }
        }
        // The rounds did exercise each rule.
        var check = ConfigRenderer(table: EnvNameTable())
        let conflict = check.render(candidates: Dictionary(uniqueKeysWithValues: rounds[5]), services: [])
        #expect(conflict.problems.map(\.provider) == ["foo-bar", "foo_bar"])
        let alias = check.render(candidates: Dictionary(uniqueKeysWithValues: rounds[11]), services: [])
        #expect(alias.envLines.contains("XAI_API_KEY=k"))
        let withheld = check.render(candidates: Dictionary(uniqueKeysWithValues: rounds[0]), services: [], budgets: withholdP1)
        #expect(!withheld.envLines.contains("P1_API_KEY=sk-1") && withheld.withheldProviders == ["p1": "cap"])
    }

    @Test("a row that does not decrypt keeps its last good value; deactivated or deleted rows leave")
    func decryptFailureAndRemoval() {
        var renderer = ConfigRenderer(table: EnvNameTable())
        _ = render(&renderer, [ok("openai", "sk-1"), ok("groq", "gq")])
        let failed = render(
            &renderer,
            [
                ("openai", .failure(ProviderProblem(provider: "openai", reason: "key does not decrypt"))),
                ok("groq", "gq"),
            ])
        #expect(failed.envLines == ["GROQ_API_KEY=gq", "OPENAI_API_KEY=sk-1"])
        #expect(failed.staleProviders == ["openai"])
        let removed = render(&renderer, [ok("groq", "gq")])
        #expect(removed.envLines == ["GROQ_API_KEY=gq"])
        #expect(renderer.lastGood.keys.sorted() == ["groq"])
    }

    @Test("models.json: defaults for missing default services, provider aliases count for keys")
    func modelMap() throws {
        var renderer = ConfigRenderer(table: EnvNameTable())
        let result = render(
            &renderer, [ok("gemini", "g")],
            services: [
                ServiceConfig(service: "rag_agent", model: "google-gla:gemini-1.5-flash", temperature: 0.2, maxTokens: 100),
                ServiceConfig(service: "local", model: "ollama:llama3:8b", temperature: nil, maxTokens: nil),
            ])
        let document = try JSONSerialization.jsonObject(with: Data(result.modelMap(generation: 7).utf8)) as! [String: Any]
        #expect(document["generation"] as? Int == 7)
        let services = document["services"] as! [String: [String: Any]]
        #expect(services.count == 10)
        #expect(services["rag_agent"]?["api_key_configured"] as? Bool == true)
        #expect(services["rag_agent"]?["max_tokens"] as? Int == 100)
        #expect(services["local"]?["model_name"] as? String == "llama3:8b")
        #expect(services["local"]?["temperature"] as? Double == 0.7)
        #expect(services["local"]?["max_tokens"] is NSNull)
        #expect(services["task_agent"]?["model"] as? String == "openai:gpt-4o")
        #expect(services["task_agent"]?["api_key_configured"] as? Bool == false)
        #expect(result.modelMap(generation: 7).contains("\"max_tokens\" : null"))
    }

    @Test("identical input gives identical bytes and digest; any change moves the digest")
    func deterministic() {
        var a = ConfigRenderer(table: EnvNameTable())
        var b = ConfigRenderer(table: EnvNameTable())
        let services = [ServiceConfig(service: "x", model: "openai:gpt-4o", temperature: 0.1, maxTokens: nil)]
        let first = render(&a, [ok("openai", "sk"), ok("groq", "g")], services: services)
        let second = render(&b, [ok("groq", "g"), ok("openai", "sk")], services: services)
        #expect(first.envFile(generation: 1) == second.envFile(generation: 1))
        #expect(first.modelMap(generation: 1) == second.modelMap(generation: 1))
        #expect(first.digest == second.digest)
        let changed = render(
            &b, [ok("groq", "g"), ok("openai", "sk")],
            services: [ServiceConfig(service: "x", model: "openai:gpt-4o", temperature: 0.2, maxTokens: nil)])
        #expect(changed.digest != first.digest)
    }

    @Test("config overrides rename a key variable")
    func overrides() throws {
        let overrides = try EnvNameTable.parseOverrides(["acme=ACME_TOKEN", "openai=MY_OPENAI"])
        var renderer = ConfigRenderer(table: EnvNameTable(overrides: overrides))
        #expect(render(&renderer, [ok("acme", "a"), ok("openai", "o")]).envLines == ["ACME_TOKEN=a", "MY_OPENAI=o"])
        #expect(throws: ConfigurationError.self) { try EnvNameTable.parseOverrides(["acme=lower"]) }
        #expect(throws: ConfigurationError.self) { try EnvNameTable.parseOverrides(["nonsense"]) }
    }
}

@Suite("The model map never empties on an unwritable row")
struct ModelMapUnwritableRowTests {
    @Test("temperature NaN or Infinity: the service keeps its last good entry, or is left out; the file stays valid JSON")
    func nonFiniteTemperature() throws {
        var renderer = ConfigRenderer(table: EnvNameTable())
        let good = renderer.render(candidates: [:], services: [ServiceConfig(service: "svc", model: "openai:gpt-4o", temperature: 0.5, maxTokens: 10)])
        #expect(good.services["svc"]?.temperature == 0.5)
        for bad in [Double.nan, .infinity, -.infinity] {
            let result = renderer.render(
                candidates: [:],
                services: [
                    ServiceConfig(service: "svc", model: "openai:gpt-4o-mini", temperature: bad, maxTokens: nil),
                    ServiceConfig(service: "new", model: "openai:gpt-4o", temperature: bad, maxTokens: nil),
                    ServiceConfig(service: "fine", model: "anthropic:claude-3-5-haiku-latest", temperature: 1, maxTokens: nil),
                ])
            #expect(result.services["svc"] == good.services["svc"])
            #expect(result.services["new"] == nil)
            #expect(result.services["fine"]?.temperature == 1)
            #expect(result.serviceProblems.map(\.service) == ["new", "svc"])
            let text = result.modelMap(generation: 3)
            #expect(text.utf8.count > 100)
            let document = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
            #expect((document?["services"] as? [String: Any])?.keys.contains("fine") == true)
        }
    }

    @Test("the settings rule: NaN, out of range and a max_tokens the column cannot hold")
    func rule() {
        #expect(ModelSettingsRule.problems(temperature: .nan, maxTokens: nil) == ["temperature must be from 0.0 to 2.0, got nan"])
        #expect(ModelSettingsRule.problems(temperature: 2.5, maxTokens: 0).count == 2)
        #expect(ModelSettingsRule.problems(temperature: 2, maxTokens: 3_000_000_000) == ["max_tokens must be at most 2147483647, got 3000000000"])
        #expect(ModelSettingsRule.problems(temperature: 0, maxTokens: 1).isEmpty)
    }
}
