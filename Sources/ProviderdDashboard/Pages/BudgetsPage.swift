import HTTPTypes
import Hummingbird
import ProviderdAPI
import ProviderdCore

/// Each budget's state, spent, remaining and reset, as bars; the form that sets
/// one (the CLI's `budgets set` rules, through the API) and a delete button per
/// budget; the threshold events, newest first, with their times.
struct BudgetsPage: Sendable {
    struct Event: Sendable {
        var budget: String
        var threshold: String
        var spent: String
        var limit: String
        var crossed: String
        var periodStart: String
        var announcedBy: String
    }

    struct Option: Sendable {
        var value: String
        var selected: Bool
    }

    var frame: PageFrame
    var budgets: [BudgetBar]
    var events: [Event]
    var form: FormState
    var periods: [Option]
    var actions: [Option]

    static let fields: Set<String> = ["name", "scope", "period", "limit_usd", "thresholds", "action"]

    init(
        frame: PageFrame, statuses: [Components.Schemas.BudgetStatus], budgets: [Components.Schemas.Budget],
        events: [Components.Schemas.BudgetEvent], form: FormState
    ) {
        self.frame = frame
        let thresholds = Dictionary(budgets.map { ($0.name, $0.thresholds) }, uniquingKeysWith: { a, _ in a })
        self.budgets = statuses.map { BudgetBar(status: $0, thresholds: thresholds[$0.name] ?? []) }
        self.events = events.map { event in
            Event(
                budget: event.budget, threshold: BudgetBar.number(event.threshold * 100) + "%", spent: Money.text(event.spent_usd),
                limit: Money.text(event.limit_usd), crossed: Timestamp.text(event.crossed_at), periodStart: Timestamp.text(event.period_start),
                announcedBy: event.announced_by ?? "not yet")
        }
        self.form = form
        let period = form.values["period"] ?? "month"
        periods = ["day", "week", "month"].map { Option(value: $0, selected: $0 == period) }
        let action = form.values["action"] ?? "alert"
        actions = ["alert", "block", "withhold_key"].map { Option(value: $0, selected: $0 == action) }
    }
}

extension DashboardPages {
    func budgets(_ request: Request) async throws -> Response {
        var frame = try frame("Budgets", path: "/budgets")
        let query = request.uri.queryParameters
        if let name = query.get("saved") { frame.notice = "Saved the budget \(name.prefix(64)). The sidecars apply it within seconds." }
        if let name = query.get("deleted") { frame.notice = "Deleted the budget \(name.prefix(64))." }
        return try await budgetsPage(frame: frame, form: FormState(values: ["scope": "global", "thresholds": "0.5,0.8,1"]))
    }

    func budgetsPage(frame: PageFrame, form: FormState) async throws -> Response {
        async let statuses = api.budgetStatus(.init()).ok.body.json.budgets
        async let budgets = api.listBudgets(.init()).ok.body.json.budgets
        async let events = api.budgetEvents(.init(query: .init(limit: 50))).ok.body.json.events
        let page = BudgetsPage(frame: frame, statuses: try await statuses, budgets: try await budgets, events: try await events, form: form)
        return renderer.response(page, template: "budgets")
    }

    func setBudget(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let name = form.text("name") ?? ""
        do {
            guard BudgetInput.isValidName(name) else {
                throw InputError("name", "'\(name.prefix(80))' must be 1 to 64 of A-Z a-z 0-9 _ . - and start with a letter or digit")
            }
            let thresholds = form.text("thresholds").map { $0.split(separator: ",").map { String($0.trimmingWhitespace()) } }
            _ = try await api.setBudget(
                .init(
                    path: .init(name: name),
                    body: .json(
                        .init(
                            scope: form.text("scope") ?? "", period: form.text("period") ?? "", limit_usd: form.text("limit_usd") ?? "",
                            thresholds: thresholds, action: form.text("action")))))
            return PageRenderer.redirect("/budgets?saved=\(PageQuery.escape(name))")
        } catch {
            let failure = failure(error)
            guard failure.status == .unprocessableContent else { throw error }
            return try await budgetsPage(
                frame: try frame("Budgets", path: "/budgets"), form: FormState(values: form.values, failure: failure, fields: BudgetsPage.fields))
        }
    }

    func deleteBudget(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let name = form.text("name") ?? ""
        _ = try await api.deleteBudget(.init(path: .init(name: name)))
        return PageRenderer.redirect("/budgets?deleted=\(PageQuery.escape(name))")
    }
}
