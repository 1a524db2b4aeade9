import HTTPTypes
import Hummingbird
import Mustache
import ProviderdAPI
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Cost per day over a range, stacked by service or by model: the chart
/// (`usage.js` draws it with Chart.js from the table) and the same numbers as a
/// table, for screen readers and for copying. The largest keys get a column
/// each and the rest one "Other" column; the CSV export holds every row.
struct UsagePage: Sendable {
    // The table's values name their fields for the template (`MustacheParent`)
    // rather than through reflection: a year by model is 4,000 cells.
    struct Column: Sendable, MustacheParent {
        var key: String
        var total: String
        var exact: String

        func child(named name: String) -> Any? {
            switch name {
            case "key": key
            case "total": total
            case "exact": exact
            default: nil
            }
        }
    }

    struct Cell: Sendable, MustacheParent {
        var text: String
        var exact: String

        func child(named name: String) -> Any? {
            switch name {
            case "text": text
            case "exact": exact
            default: nil
            }
        }
    }

    struct Day: Sendable, MustacheParent {
        var date: String
        var total: Cell
        var cells: [Cell]

        func child(named name: String) -> Any? {
            switch name {
            case "date": date
            case "total": total
            case "cells": cells
            default: nil
            }
        }
    }

    struct Preset: Sendable {
        var label: String
        var href: String
        var current: Bool
    }

    /// Keys shown one by one; the rest are summed into "Other".
    static let shownKeys = 8

    var frame: PageFrame
    var since: String
    var until: String
    var byService: Bool
    var byModel: Bool
    var groupName: String
    var presets: [Preset]
    var columns: [Column]
    var days: [Day]
    /// The table's body, one row per day: built here rather than by the template,
    /// every value escaped (`HTMLText`). A year by model is 4,000 cells, and the
    /// template engine's lookups cost about 7 µs each: 30 ms of a 50 ms page.
    var rows: String
    var total: Cell
    var hasChart: Bool
    var empty: Bool
    var exportHref: String
    /// How many keys are summed under "Other"; nil when none are.
    var otherKeys: Int?

    init(frame: PageFrame, daily: Components.Schemas.UsageDaily, today: String, hasChart: Bool) {
        self.frame = frame
        since = daily.since
        until = daily.until
        byModel = daily.group_by == .model
        byService = !byModel
        groupName = byModel ? "model" : "service"
        let by = byModel ? "model" : "service"
        presets = [7, 30, 90, 365].map { days in
            let first = UsageStore.today(offsetDays: -(days - 1))
            return Preset(
                label: "\(days) days", href: "/usage?since=\(first)&until=\(today)&by=\(by)", current: daily.since == first && daily.until == today)
        }
        exportHref = "/api/v1/usage/export?since=\(daily.since)&until=\(daily.until)"
        // Exact sums in millionths where every amount has at most six places (always,
        // from model_usage's DECIMAL(10, 6)); Decimal otherwise.
        let table =
            Self.table(daily, as: Micros.self) ?? Self.table(daily, as: Decimal.self)
            ?? Table(columns: [], days: [], total: Cell(text: "–", exact: "0"), otherKeys: nil, empty: true)
        columns = table.columns
        days = table.days
        rows = Self.rows(table.days)
        total = table.total
        otherKeys = table.otherKeys
        empty = table.empty
        self.hasChart = hasChart
    }

    /// `<tr><th scope="row">DATE</th><td class="total" data-v="EXACT">TEXT</td><td data-v="EXACT">TEXT</td>…</tr>`.
    static func rows(_ days: [Day]) -> String {
        var html = ""
        html.reserveCapacity(days.count * (64 + (days.first?.cells.count ?? 0) * 32))
        for day in days {
            html += "<tr><th scope=\"row\">" + HTMLText.escape(day.date) + "</th><td class=\"total\" data-v=\""
            html += HTMLText.escape(day.total.exact) + "\">" + HTMLText.escape(day.total.text) + "</td>"
            for cell in day.cells {
                html += "<td data-v=\"" + HTMLText.escape(cell.exact) + "\">" + HTMLText.escape(cell.text) + "</td>"
            }
            html += "</tr>\n"
        }
        return html
    }

    struct Table {
        var columns: [Column]
        var days: [Day]
        var total: Cell
        var otherKeys: Int?
        var empty: Bool
    }

    /// The table in amounts of type `A`; nil when an amount does not parse as one,
    /// or a sum cannot be kept exactly.
    static func table<A: ExactAmount>(_ daily: Components.Schemas.UsageDaily, as type: A.Type) -> Table? {
        func cell(_ value: A) -> Cell {
            let exact = value.text
            return Cell(text: Money.text(exact), exact: exact)
        }
        func sum(_ values: some Sequence<A>) -> A? {
            var total = A.zero
            for value in values {
                guard let next = total.adding(value) else { return nil }
                total = next
            }
            return total
        }
        // Each key's total over the range decides which keys get a column.
        var unsorted: [(key: String, texts: [String], costs: [A], total: A)] = []
        for series in daily.series ?? [] {
            var costs: [A] = []
            costs.reserveCapacity(series.costs.count)
            var total = A.zero
            for text in series.costs {
                guard let cost = A(text), let next = total.adding(cost) else { return nil }
                costs.append(cost)
                total = next
            }
            unsorted.append((series.key, series.costs, costs, total))
        }
        let series = unsorted.sorted { a, b in a.total != b.total ? a.total > b.total : a.key < b.key }
        let shown = series.prefix(shownKeys)
        let rest = series.dropFirst(shownKeys)
        var columns = shown.map { series in
            let exact = series.total.text
            return Column(key: series.key, total: Money.text(exact), exact: exact)
        }
        if !rest.isEmpty {
            guard let restTotal = sum(rest.map(\.total))?.text else { return nil }
            columns.append(Column(key: "Other (\(rest.count))", total: Money.text(restTotal), exact: restTotal))
        }
        var days: [Day] = []
        days.reserveCapacity(daily.days.count)
        var total = A.zero
        for (index, day) in daily.days.enumerated() {
            guard let cost = A(day.cost), let next = total.adding(cost) else { return nil }
            total = next
            var cells = shown.map { Cell(text: Money.text($0.texts[index]), exact: $0.texts[index]) }
            if !rest.isEmpty {
                guard let other = sum(rest.map { $0.costs[index] }) else { return nil }
                cells.append(cell(other))
            }
            days.append(Day(date: day.date, total: Cell(text: Money.text(day.cost), exact: day.cost), cells: cells))
        }
        return Table(columns: columns, days: days, total: cell(total), otherKeys: rest.isEmpty ? nil : rest.count, empty: total == A.zero && series.isEmpty)
    }

}

extension DashboardPages {
    func usage(_ request: Request) async throws -> Response {
        var frame = try frame("Usage", path: "/usage")
        let query = request.uri.queryParameters
        let today = UsageStore.today()
        let since = query.get("since").flatMap { $0.isEmpty ? nil : $0 }
        let until = query.get("until").flatMap { $0.isEmpty ? nil : $0 }
        let grouping: Operations.usageDaily.Input.Query.group_byPayload = query.get("by") == "model" ? .model : .service
        func daily(_ since: String?, _ until: String?) async throws -> Components.Schemas.UsageDaily {
            try await api.usageDaily(
                .init(query: .init(since: since ?? UsageStore.today(offsetDays: -29), until: until ?? today, group_by: grouping))
            ).ok.body.json
        }
        let report: Components.Schemas.UsageDaily
        do {
            report = try await daily(since, until)
        } catch {
            // A range the API refuses: say why, and show the default range.
            let failure = failure(error)
            guard failure.status == .unprocessableContent else { throw error }
            frame.error = "The range was not accepted (\(failure.message)); showing the last 30 days."
            report = try await daily(nil, nil)
        }
        let page = UsagePage(frame: frame, daily: report, today: today, hasChart: renderer.assets.hasChart)
        return renderer.response(page, template: "usage")
    }
}
