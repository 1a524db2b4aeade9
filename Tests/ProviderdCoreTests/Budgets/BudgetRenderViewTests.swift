import Testing

@testable import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("What budgets change in the files")
struct BudgetRenderViewTests {
    func status(_ name: String, scope: BudgetScope, action: BudgetAction, spent: Decimal, limit: Decimal = 10, active: Bool = true) -> BudgetStatus {
        let budget = Budget(id: 1, name: name, scope: scope, period: .month, limit: limit, thresholds: [0.5, 1], action: action, isActive: active)
        return BudgetStatus(budget: budget, periodStart: 1_796_083_200, spent: spent, unpricedRequests: 0, asOf: 0)
    }

    let candidates: [String: Result<ProviderSecrets, ProviderProblem>] = [
        "openai": .success(ProviderSecrets(provider: "openai", apiKey: "sk-o", baseURL: "https://o.example")),
        "anthropic": .success(ProviderSecrets(provider: "anthropic", apiKey: "sk-a")),
    ]
    let services = [
        ServiceConfig(service: "rag", model: "openai:gpt-4o", temperature: 0.2, maxTokens: nil),
        ServiceConfig(service: "docs", model: "anthropic:claude-3-5-haiku-latest", temperature: 0.2, maxTokens: nil),
    ]

    @Test("an exceeded withhold_key budget: that provider's lines leave, the others stay, its values are kept for later")
    func withheld() {
        var renderer = ConfigRenderer(table: EnvNameTable(overrides: [:]))
        let view = BudgetRenderView(statuses: [status("cap", scope: .provider("openai"), action: .withholdKey, spent: 10)])
        let result = renderer.render(candidates: candidates, services: services, budgets: view)
        #expect(result.envLines == ["ANTHROPIC_API_KEY=sk-a"])
        #expect(result.withheldProviders == ["openai": "cap"])
        #expect(result.services["rag"]?.apiKeyConfigured == false)
        #expect(renderer.lastGood["openai"]?.apiKey == "sk-o", "kept for the sealed state and the period's turn")
        let back = renderer.render(candidates: candidates, services: services, budgets: BudgetRenderView())
        #expect(back.envLines.contains("OPENAI_API_KEY=sk-o") && back.envLines.contains("OPENAI_BASE_URL=https://o.example"))
        // Global: every key; below the limit or inactive: none.
        let global = renderer.render(
            candidates: candidates, services: services,
            budgets: BudgetRenderView(statuses: [status("all", scope: .global, action: .withholdKey, spent: 11)]))
        #expect(global.envLines.isEmpty)
        for view in [
            BudgetRenderView(statuses: [status("all", scope: .global, action: .withholdKey, spent: 9)]),
            BudgetRenderView(statuses: [status("all", scope: .global, action: .withholdKey, spent: 11, active: false)]),
            BudgetRenderView(statuses: [status("all", scope: .global, action: .block, spent: 11)]),
        ] {
            #expect(renderer.render(candidates: candidates, services: services, budgets: view).envLines.count == 3)
        }
    }

    @Test("each service carries the worst state of the budgets that apply; the spend alone does not change the files")
    func serviceStates() {
        var renderer = ConfigRenderer(table: EnvNameTable(overrides: [:]))
        let statuses = [
            status("all", scope: .global, action: .alert, spent: 6),
            status("rag", scope: .service("rag"), action: .block, spent: 10),
        ]
        let result = renderer.render(candidates: candidates, services: services, budgets: BudgetRenderView(statuses: statuses))
        #expect(result.services["rag"]?.budget == ServiceBudgetState(state: .exceeded, budget: "rag", limit: 10, resetsAt: 1_798_761_600))
        #expect(result.services["docs"]?.budget?.state == .warning)
        #expect(result.services["docs"]?.budget?.budget == "all")
        #expect(result.modelMap(generation: 1).contains(#""resets_at" : "2027-01-01T00:00:00Z""#))
        // More spend in the same state: the same files.
        let more = [status("all", scope: .global, action: .alert, spent: 7), status("rag", scope: .service("rag"), action: .block, spent: 12)]
        let again = renderer.render(candidates: candidates, services: services, budgets: BudgetRenderView(statuses: more))
        #expect(again.digest == result.digest)
        // No budget: no "budget" key at all (the file as before budgets).
        let none = renderer.render(candidates: candidates, services: services, budgets: BudgetRenderView())
        #expect(!none.modelMap(generation: 1).contains("budget"))
    }
}
