import Hummingbird
import ProviderdAPI
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Spend at a glance: today, this week and this month (UTC), the month's
/// estimate at the current rate, the budgets as bars, the sidecars with their
/// last flush (stale ones flagged), and the models whose usage had no price.
struct OverviewPage: Sendable {
    struct Spend: Sendable {
        var label: String
        var amount: String
        var exact: String
        var range: String
        var href: String
    }

    struct Sidecar: Sendable {
        var host: String
        var instance: String
        var lastFlush: String
        var firstSeen: String
        var stale: Bool
    }

    struct Unpriced: Sendable {
        var model: String
        var requests: String
        var services: String
    }

    var frame: PageFrame
    var spend: [Spend]
    var estimate: String
    var estimateDays: Int
    var budgets: [BudgetBar]
    var sidecars: [Sidecar]
    /// How many sidecars have not flushed lately; nil when none.
    var staleSidecars: Int?
    var unpriced: [Unpriced]
    var unpricedSince: String

    /// The first day of `today`'s ISO week (Monday) and of its month.
    static func periodStarts(today: String) -> (week: String, month: String) {
        let days = Int((RFC3339.unixSeconds(today + "T00:00:00Z") ?? 0) / 86_400)
        // 1970-01-01 was a Thursday: Monday is 0 at day (days + 3) % 7.
        let sinceMonday = ((days + 3) % 7 + 7) % 7
        return (UTCTimestamp.day(Double((days - sinceMonday) * 86_400)), String(today.prefix(8)) + "01")
    }

    init(
        frame: PageFrame, today: String, totals: [(label: String, since: String, cost: String)],
        estimate: Components.Schemas.UsageEstimate, statuses: [Components.Schemas.BudgetStatus], budgets: [Components.Schemas.Budget],
        sidecars: [Components.Schemas.Sidecar], unpriced: Components.Schemas.UnpricedUsageList
    ) {
        self.frame = frame
        spend = totals.map { total in
            Spend(
                label: total.label, amount: Money.text(total.cost), exact: total.cost,
                range: total.since == today ? today : "since \(total.since)", href: "/usage?since=\(total.since)&until=\(today)")
        }
        self.estimate = Money.text(estimate.monthly_estimate)
        estimateDays = estimate.days_with_usage
        let thresholds = Dictionary(budgets.map { ($0.name, $0.thresholds) }, uniquingKeysWith: { a, _ in a })
        self.budgets = statuses.map { BudgetBar(status: $0, thresholds: thresholds[$0.name] ?? []) }
        self.sidecars = sidecars.map {
            Sidecar(
                host: $0.hostname ?? "–", instance: String($0.instance_id.prefix(8)), lastFlush: Timestamp.text($0.last_seen),
                firstSeen: Timestamp.text($0.first_seen), stale: $0.stale)
        }
        let stale = sidecars.filter(\.stale).count
        staleSidecars = stale == 0 ? nil : stale
        self.unpriced = unpriced.models.map {
            Unpriced(model: $0.model, requests: Money.count(Int64($0.requests)), services: $0.services.joined(separator: ", "))
        }
        unpricedSince = unpriced.since
    }
}

extension DashboardPages {
    func overview(_ request: Request) async throws -> Response {
        let frame = try frame("Overview", path: "/")
        let today = UsageStore.today()
        let starts = OverviewPage.periodStarts(today: today)
        var totals: [(label: String, since: String, cost: String)] = []
        for (label, since) in [("Today", today), ("This week", starts.week), ("This month", starts.month)] {
            let summary = try await api.usageSummary(.init(query: .init(since: since, until: today))).ok.body.json
            totals.append((label, since, summary.total_cost))
        }
        async let estimate = api.usageEstimate(.init()).ok.body.json
        async let statuses = api.budgetStatus(.init()).ok.body.json.budgets
        async let budgets = api.listBudgets(.init()).ok.body.json.budgets
        async let sidecars = api.listSidecars(.init()).ok.body.json.sidecars
        async let unpriced = api.usageUnpriced(.init(query: .init(since: starts.month, until: today))).ok.body.json
        let page = OverviewPage(
            frame: frame, today: today, totals: totals, estimate: try await estimate, statuses: try await statuses, budgets: try await budgets,
            sidecars: try await sidecars, unpriced: try await unpriced)
        return renderer.response(page, template: "overview")
    }
}
