import Testing

@testable import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("Budget states and verdicts")
struct BudgetVerdictTests {
    func status(
        _ name: String, scope: BudgetScope = .global, action: BudgetAction = .block, limit: Decimal = 1, spent: String,
        active: Bool = true, stale: Bool = false, thresholds: [Decimal] = Budget.defaultThresholds
    ) -> BudgetStatus {
        let budget = Budget(
            id: 1, name: name, scope: scope, period: .day, limit: limit, thresholds: thresholds, action: action, isActive: active)
        return BudgetStatus(budget: budget, periodStart: 0, spent: Decimal(string: spent)!, unpricedRequests: 0, asOf: 0, stale: stale)
    }

    @Test("ok below the lowest threshold, warning from it, exceeded at the limit exactly (decimal, not float)")
    func states() {
        #expect(status("a", limit: Decimal(string: "0.3")!, spent: "0.1").state == .ok)
        #expect(status("a", limit: Decimal(string: "0.3")!, spent: "0.15").state == .warning)
        #expect(status("a", limit: Decimal(string: "0.3")!, spent: "0.29999999").state == .warning)
        #expect(status("a", limit: Decimal(string: "0.3")!, spent: "0.3").state == .exceeded)
        #expect(status("a", spent: "0.9", thresholds: [1]).state == .ok)
        let over = status("a", limit: 2, spent: "3")
        #expect(over.remaining == 0 && over.percent == 150)
        #expect(status("a", limit: 3, spent: "1").percent == 33.33)
        #expect(status("a", spent: "0", thresholds: [1]).resetsAt == 86_400)
    }

    @Test("only active block budgets that apply refuse, and each refusal names its budget and reason")
    func verdicts() {
        let statuses = [
            status("rag-day", scope: .service("rag"), spent: "1"),
            status("alerts-only", action: .alert, spent: "5"),
            status("keys", scope: .provider("openai"), action: .withholdKey, spent: "5"),
            status("off", action: .block, spent: "5", active: false),
            status("anthropic", scope: .provider("anthropic"), spent: "5"),
        ]
        let rag = BudgetVerdict(statuses: statuses, service: "rag", model: "openai:gpt-4o", policy: .init())
        #expect(!rag.allowed)
        #expect(rag.refusals == [.init(budget: "rag-day", reason: .exceeded)])
        #expect(rag.budgets.map(\.budget.name) == ["rag-day", "alerts-only", "keys"])
        let other = BudgetVerdict(statuses: statuses, service: "docs", model: "openai:gpt-4o", policy: .init())
        #expect(other.allowed)
        let claude = BudgetVerdict(statuses: statuses, service: "docs", model: "anthropic:claude-3", policy: .init())
        #expect(claude.refusals == [.init(budget: "anthropic", reason: .exceeded)])
        #expect(BudgetVerdict(statuses: statuses, service: nil, model: nil, policy: .init()).budgets.count == 4)
    }

    @Test("stale spend refuses only with fail_closed; an unpriced model only with budgets.unpriced block")
    func policies() {
        let stale = [status("b", spent: "0", stale: true)]
        #expect(BudgetVerdict(statuses: stale, service: "s", model: "openai:x", policy: .init()).allowed)
        #expect(
            BudgetVerdict(statuses: stale, service: "s", model: "openai:x", policy: .init(failClosed: true)).refusals
                == [.init(budget: "b", reason: .stale)])
        let fresh = [status("b", spent: "0")]
        #expect(BudgetVerdict(statuses: fresh, service: "s", model: "x:y", policy: .init(), modelPriced: false).allowed)
        #expect(
            BudgetVerdict(statuses: fresh, service: "s", model: "x:y", policy: .init(blockUnpriced: true), modelPriced: false).refusals
                == [.init(budget: "b", reason: .unpriced)])
    }

    @Test("scopes match as the database's providerd_budget_matches does")
    func scopes() {
        #expect(BudgetScope.provider("ollama").applies(service: "s", model: "ollama:llama3:8b"))
        #expect(!BudgetScope.provider("openai").applies(service: "s", model: "openai-chat:gpt-4o"))
        #expect(BudgetScope.model("ollama:llama3:8b").applies(service: "s", model: "ollama:llama3:8b"))
        #expect(!BudgetScope.service("rag").applies(service: "rag2", model: "openai:x"))
        #expect(BudgetScope.global.applies(service: "", model: ""))
    }
}
