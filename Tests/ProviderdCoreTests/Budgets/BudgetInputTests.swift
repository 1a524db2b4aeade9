import Testing

@testable import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("Budget input: each bad field named, nothing guessed")
struct BudgetInputTests {
    func refusal(
        name: String = "b", scope: String = "global", period: String = "day", limit: String = "1", thresholds: String? = nil,
        action: String? = nil
    ) -> InputError? {
        do {
            _ = try BudgetInput(name: name, scope: scope, period: period, limit: limit, thresholds: thresholds, action: action)
            return nil
        } catch {
            return error
        }
    }

    @Test("a good budget keeps its values; thresholds default and come back ascending")
    func good() throws {
        let input = try BudgetInput(
            name: "rag.monthly-1", scope: "service:rag_agent", period: "month", limit: "100.25", thresholds: "1, 0.5,0.75",
            action: "block")
        #expect(input.scope == .service("rag_agent"))
        #expect(input.period == .month)
        #expect(input.limit == Decimal(string: "100.25")!)
        #expect(input.thresholds == [Decimal(string: "0.5")!, Decimal(string: "0.75")!, 1])
        #expect(input.action == .block)
        let plain = try BudgetInput(name: "g", scope: "global", period: "day", limit: "0.30")
        #expect(plain.thresholds == Budget.defaultThresholds)
        #expect(plain.action == .alert)
        #expect("\(plain.limit)" == "0.3")
    }

    @Test("limits: negative, zero, non-numeric, exponent, hex, too many decimals, too large")
    func limits() {
        for bad in ["-1", "0", "0.000", "abc", "", "1e3", "0x10", "nan", "inf", "1.0000000000001", "1000000000001", " 5", "5$"] {
            #expect(refusal(limit: bad)?.field == "limit", "\(bad)")
        }
        #expect(refusal(limit: "-1")?.rule == "must be more than 0 (got -1)")
    }

    @Test("scopes: unknown kinds, empty names, bad provider names, model strings without a model")
    func scopes() {
        for bad in [
            "", "all", "service:", "provider:", "provider:OpenAI", "provider:a b", "model:gpt-4o", "model:openai:", "team:x",
            "service:a\u{7}b", "service:" + String(repeating: "x", count: 257),
        ] {
            #expect(refusal(scope: bad)?.field == "scope", "\(bad)")
        }
        #expect(refusal(scope: "model:openai:gpt-4o") == nil)
        #expect(refusal(scope: "provider:openai") == nil)
    }

    @Test("periods, thresholds, actions, names")
    func others() {
        #expect(refusal(period: "year")?.field == "period")
        #expect(refusal(period: "Day")?.field == "period")
        for bad in ["0", "-0.5", "10.5", "a", "", "0.5,,1", "0.5,0.5", Array(repeating: "0.1", count: 17).joined(separator: ",")] {
            #expect(refusal(thresholds: bad)?.field == "thresholds", "\(bad)")
        }
        #expect(refusal(thresholds: "10") == nil)
        #expect(refusal(action: "deny")?.field == "action")
        #expect(refusal(scope: "service:x", action: "withhold_key")?.field == "action")
        #expect(refusal(scope: "model:openai:gpt-4o", action: "withhold_key")?.field == "action")
        #expect(refusal(scope: "provider:openai", action: "withhold_key") == nil)
        #expect(refusal(scope: "global", action: "withhold_key") == nil)
        for bad in ["", "-x", ".x", "a b", "a/b", String(repeating: "a", count: 65), "ünï"] {
            #expect(refusal(name: bad)?.field == "name", "\(bad)")
        }
    }
}
