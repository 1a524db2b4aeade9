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
        let zero = Decimal(0)
        // Each key's total over the range decides which keys get a column.
        typealias Series = (key: String, texts: [String], costs: [Decimal], total: Decimal)
        let unsorted: [Series] = (daily.series ?? []).map { series in
            let costs = series.costs.map { Self.decimal($0) }
            return (series.key, series.costs, costs, costs.reduce(zero, +))
        }
        let series = unsorted.sorted { a, b in a.total != b.total ? a.total > b.total : a.key < b.key }
        let shown = Array(series.prefix(Self.shownKeys))
        let rest = series.dropFirst(Self.shownKeys)
        otherKeys = rest.isEmpty ? nil : rest.count
        columns = shown.map { Column(key: $0.key, total: Money.text($0.total), exact: "\($0.total)") }
        if !rest.isEmpty {
            let restTotal = rest.reduce(zero) { $0 + $1.total }
            columns.append(Column(key: "Other (\(rest.count))", total: Money.text(restTotal), exact: "\(restTotal)"))
        }
        var days: [Day] = []
        var sum = zero
        for (index, day) in daily.days.enumerated() {
            var cells = shown.map { Cell(text: Money.text($0.texts[index]), exact: $0.texts[index]) }
            if !rest.isEmpty { cells.append(Self.cell(rest.reduce(zero) { $0 + $1.costs[index] })) }
            sum += Self.decimal(day.cost)
            days.append(Day(date: day.date, total: Cell(text: Money.text(day.cost), exact: day.cost), cells: cells))
        }
        self.days = days
        total = Self.cell(sum)
        empty = sum == zero && series.isEmpty
        self.hasChart = hasChart
    }

    /// No locale: with one, Decimal asks ICU for the separator on every call.
    static func decimal(_ text: String) -> Decimal { Decimal(string: text) ?? 0 }

    static func cell(_ value: Decimal) -> Cell { Cell(text: Money.text(value), exact: "\(value)") }
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
