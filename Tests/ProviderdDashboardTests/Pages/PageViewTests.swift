import HTTPTypes
import Logging
import ProviderdAPI
import ProviderdCore
import Testing

@testable import ProviderdDashboard

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite("The pages' views: values built from the API's answers, without a server")
struct PageViewTests {
    static let caller = DashboardCaller(
        user: "alice", role: .admin, credential: .bearer, writesAllowed: true, client: "127.0.0.1")
    static let frame = PageFrame(title: "Usage", path: "/usage", caller: caller, assetVersion: "v1")

    static func daily(_ series: [(String, [String])], days: [String]) -> Components.Schemas.UsageDaily {
        let totals = days.indices.map { index in
            series.reduce(Decimal(0)) { $0 + (Decimal(string: $1.1[index]) ?? 0) }
        }
        return Components.Schemas.UsageDaily(
            since: days.first ?? "", until: days.last ?? "", group_by: .service,
            days: zip(days, totals).map { .init(date: $0, cost: "\($1)") }, series: series.map { .init(key: $0.0, costs: $0.1) })
    }

    @Test("the usage table: the 8 largest keys by total get a column each (ties by name), the rest one Other column; every row adds up exactly")
    func usageColumns() {
        let days = ["2026-12-01", "2026-12-02", "2026-12-03"]
        var series: [(String, [String])] = []
        for index in 0..<11 { series.append(("svc\(index)", ["\(index).5", "0", "0.000001"])) }
        series.append(("tie-b", ["50", "50", "0"]))
        series.append(("tie-a", ["50", "50", "0"]))
        let page = UsagePage(frame: Self.frame, daily: Self.daily(series, days: days), today: "2026-12-03", hasChart: true)
        #expect(page.columns.map(\.key).prefix(3) == ["tie-a", "tie-b", "svc10"])
        #expect(page.columns.count == 9 && page.columns.last?.key == "Other (5)" && page.otherKeys == 5)
        for day in page.days {
            let sum = day.cells.reduce(Decimal(0)) { $0 + (Decimal(string: $1.exact) ?? 0) }
            #expect("\(sum)" == "\(Decimal(string: day.total.exact) ?? -1)", "\(day.date)")
        }
        // Other: svc0..svc4, 0.5 + 1.5 + 2.5 + 3.5 + 4.5 on the 1st, 5 × 0.000001 on the 3rd.
        #expect(page.days[0].cells.last?.exact == "12.500000" && page.days[2].cells.last?.exact == "0.000005")
        #expect(page.columns.last?.exact == "12.500005" && page.total.exact == "260.500011")
        #expect(page.days.map(\.date) == days && !page.empty)
    }

    @Test("amounts with more than six places (not model_usage's) are added as Decimal, as exactly")
    func usageBeyondMicros() {
        let days = ["2026-12-01"]
        var series: [(String, [String])] = []
        for index in 0..<10 { series.append(("k\(index)", ["0.0000001\(index)"])) }
        let page = UsagePage(frame: Self.frame, daily: Self.daily(series, days: days), today: "2026-12-01", hasChart: true)
        #expect(page.columns.last?.key == "Other (2)" && page.columns.last?.exact == "0.00000021")
        #expect(Micros("0.0000001") == nil && Micros("12.345678") == Micros(value: 12_345_678) && Micros("-0.5")?.text == "-0.500000")
        #expect(Micros("7")?.text == "7.000000" && Micros(".") == nil && Micros("1.2.3") == nil && Micros("") == nil && Micros("1e3") == nil)
        #expect(Micros("1234567890123") == nil && Micros("0.000001")!.adding(Micros("0.999999")!)?.text == "1.000000")
        #expect(Micros(value: .max).adding(Micros(value: 1)) == nil)
    }

    @Test("the usage page with no usage says so, and no Other column appears for few keys")
    func usageEmpty() {
        let page = UsagePage(frame: Self.frame, daily: Self.daily([], days: ["2026-12-01"]), today: "2026-12-01", hasChart: true)
        #expect(page.empty && page.columns.isEmpty && page.otherKeys == nil)
    }

    @Test("a budget bar's scale reaches its highest threshold or its spend; ticks and fill are percentages of it")
    func budgetBar() {
        let status = Components.Schemas.BudgetStatus(
            name: "b", scope: "global", period: "day", action: "alert", is_active: true, state: .warning, limit_usd: "10", spent_usd: "6",
            remaining_usd: "4", percent: 60, period_start: "2026-12-07T00:00:00Z", resets_at: "2026-12-08T00:00:00Z",
            as_of: "2026-12-07T04:00:00Z", stale: false, unpriced_requests: 0)
        let plain = BudgetBar(status: status, thresholds: [0.5, 0.8, 1])
        #expect(plain.fill == "60" && plain.ticks.map(\.x) == ["50", "80", "100"] && plain.state == "warning")
        #expect(plain.label == "$6.00 of $10.00 spent (60%); thresholds at 50%, 80%, 100%")
        let above = BudgetBar(status: status, thresholds: [1, 1.2])
        #expect(above.ticks.map(\.x) == ["83.33", "100"] && above.fill == "50")
        var over = status
        over.percent = 250
        over.state = .exceeded
        let exceeded = BudgetBar(status: over, thresholds: [0.5, 1])
        #expect(exceeded.fill == "100" && exceeded.ticks.map(\.x) == ["20", "40"])
        var inactive = status
        inactive.is_active = false
        #expect(BudgetBar(status: inactive, thresholds: []).state == "inactive")
    }

    @Test("a refused form keeps its fields' errors by name; an error for no field of the form is its message")
    func formState() {
        let failure = APIError.invalid(InputError("--temperature", "must be from 0.0 to 2.0"))
        let state = FormState(values: ["temperature": "7"], failure: failure, fields: ModelsPage.editFields)
        #expect(state.errors == ["temperature": "must be from 0.0 to 2.0"] && state.message == nil)
        let other = FormState(failure: APIError.invalid(InputError("map", "bad")), fields: ModelsPage.editFields)
        #expect(other.errors.isEmpty && other.message == "map: bad")
        let plain = FormState(failure: APIError(.unprocessableContent, "invalid", "no"), fields: [])
        #expect(plain.message == "no" && plain.hasErrors)
    }

    @Test("a viewer's and a read-only admin's pages say why nothing can be changed")
    func readOnly() {
        var viewer = Self.caller
        viewer.role = .viewer
        viewer.writesAllowed = false
        #expect(PageFrame(title: "", path: "/", caller: viewer, assetVersion: "").readOnly?.contains("viewer") == true)
        var admin = Self.caller
        admin.writesAllowed = false
        #expect(PageFrame(title: "", path: "/", caller: admin, assetVersion: "").readOnly?.contains("dashboard.allow_writes") == true)
        #expect(PageFrame(title: "", path: "/", caller: Self.caller, assetVersion: "").readOnly == nil)
        #expect(Self.frame.nav.filter(\.current).map(\.href) == ["/usage"])
    }
}
