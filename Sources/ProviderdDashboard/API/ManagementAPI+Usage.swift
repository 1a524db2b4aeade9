import HTTPTypes
import Logging
import OpenAPIRuntime
import ProviderdAPI
import ProviderdCore

extension ManagementAPI {
    /// The longest range a usage endpoint reads: the reports stay bounded
    /// however many years `model_usage` holds.
    static let maxRangeDays = 366

    func range(since: String?, until: String?, defaultDays: Int) throws -> (since: String, until: String) {
        let (first, last) = try UsageStore.validateRange(
            since: since ?? UsageStore.today(offsetDays: -(defaultDays - 1)), until: until ?? UsageStore.today(), maxDays: Self.maxRangeDays)
        return (first, last)
    }

    func checkedService(_ service: String?) throws -> String? {
        if let service { try ModelConfigStore.validateService(service) }
        return service
    }

    package func usageSummary(_ input: Operations.usageSummary.Input) async throws -> Operations.usageSummary.Output {
        let (since, until) = try renamed { try range(since: input.query.since, until: input.query.until, defaultDays: 30) }
        let service = try checkedService(input.query.service)
        let summary = try await database.withConnection { try UsageStore(connection: $0).summary(since: since, until: until, service: service) }
        return .ok(.init(body: .json(try GeneratedValue.convert(summary))))
    }

    package func usageDaily(_ input: Operations.usageDaily.Input) async throws -> Operations.usageDaily.Output {
        let (since, until) = try renamed { try range(since: input.query.since, until: input.query.until, defaultDays: 7) }
        let grouping = input.query.group_by ?? Operations.usageDaily.Input.Query.group_byPayload.none
        let storeGrouping: UsageStore.DailyGrouping? =
            switch grouping {
            case .none: nil
            case .service: .service
            case .model: .model
            }
        let (days, parts) = try await database.withConnection { connection in
            // One catalog look for both reports.
            let store = UsageStore(connection: connection, rollups: try UsageRollup.available(on: connection))
            return (try store.daily(since: since, until: until), try storeGrouping.map { try store.dailyParts(since: since, until: until, by: $0) } ?? [])
        }
        let body = Components.Schemas.UsageDaily(
            since: since, until: until, group_by: .init(rawValue: grouping.rawValue) ?? .none,
            days: days.map { .init(date: $0.day, cost: $0.cost) },
            series: storeGrouping == nil ? nil : Self.series(parts, days: days.map(\.day)))
        return .ok(.init(body: .json(body)))
    }

    /// Each key's cost per day, aligned with `days` ("0" where it has no rows), keys
    /// sorted: a chart's datasets as they are drawn, and a fraction of the JSON of
    /// one object per day and key (a quarter of 100 services is 9,000 of them).
    static func series(_ parts: [(day: String, key: String, cost: String)], days: [String]) -> [Components.Schemas.UsageSeries] {
        let index = Dictionary(uniqueKeysWithValues: days.enumerated().map { ($1, $0) })
        var costs: [String: [String]] = [:]
        for part in parts {
            guard let day = index[part.day] else { continue }
            costs[part.key, default: Array(repeating: "0", count: days.count)][day] = part.cost
        }
        return costs.keys.sorted().map { Components.Schemas.UsageSeries(key: $0, costs: costs[$0]!) }
    }

    package func usageEstimate(_ input: Operations.usageEstimate.Input) async throws -> Operations.usageEstimate.Output {
        let (estimate, days) = try await database.withConnection { try UsageStore(connection: $0).monthlyEstimate() }
        return .ok(.init(body: .json(.init(monthly_estimate: estimate, days_with_usage: days))))
    }

    package func usageUnpriced(_ input: Operations.usageUnpriced.Input) async throws -> Operations.usageUnpriced.Output {
        let (since, until) = try renamed { try range(since: input.query.since, until: input.query.until, defaultDays: 30) }
        let models = try await database.withConnection { try UsageStore(connection: $0).unpriced(since: since, until: until) }
        return .ok(.init(body: .json(.init(since: since, until: until, models: try GeneratedValue.convert(models)))))
    }

    /// CSV, a month at a time, read only when the client has taken the last one:
    /// a year of rows never sits in memory whole, not even for a client that stops
    /// reading.
    package func usageExport(_ input: Operations.usageExport.Input) async throws -> Operations.usageExport.Output {
        let (since, until) = try renamed { try range(since: input.query.since, until: input.query.until, defaultDays: 30) }
        let cursor = CSVExportCursor(
            database: database, chunks: Self.monthChunks(since: since, until: until), service: try checkedService(input.query.service),
            logger: logger)
        let stream = AsyncThrowingStream<ArraySlice<UInt8>, any Error>(unfolding: { try await cursor.next() })
        return .ok(.init(body: .csv(HTTPBody(stream, length: .unknown, iterationBehavior: .single))))
    }

    /// `since`..`until` in pieces of at most 31 days.
    static func monthChunks(since: String, until: String) -> [(String, String)] {
        guard var start = RFC3339.unixSeconds(since + "T00:00:00Z"), let end = RFC3339.unixSeconds(until + "T00:00:00Z") else { return [] }
        var chunks: [(String, String)] = []
        while start <= end {
            let last = min(end, start + 30 * 86_400)
            chunks.append((UTCTimestamp.day(Double(start)), UTCTimestamp.day(Double(last))))
            start = last + 86_400
        }
        return chunks
    }

    /// The CLI names its range flags `--since`/`--until`; the API's parameters are `since`/`until`.
    func renamed<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InputError {
            throw InputError(error.field.hasPrefix("--") ? String(error.field.dropFirst(2)) : error.field, error.rule)
        }
    }
}

/// Where a CSV export is: the header, then each month's lines, fetched on demand.
actor CSVExportCursor {
    private let database: DashboardDatabase
    private let chunks: [(String, String)]
    private let service: String?
    private let logger: Logger
    private var position = -1

    init(database: DashboardDatabase, chunks: [(String, String)], service: String?, logger: Logger) {
        self.database = database
        self.chunks = chunks
        self.service = service
        self.logger = logger
    }

    /// The next piece of the body, nil at the end.
    func next() async throws -> ArraySlice<UInt8>? {
        if position < 0 {
            position = 0
            return ArraySlice((UsageStore.csvHeader + "\n").utf8)
        }
        while position < chunks.count {
            let (first, last) = chunks[position]
            position += 1
            let service = self.service
            do {
                let lines = try await database.withConnection { try UsageStore(connection: $0).csvLines(since: first, until: last, service: service) }
                if !lines.isEmpty { return ArraySlice((lines.joined(separator: "\n") + "\n").utf8) }
            } catch {
                // The 200 and the first lines are sent: the client sees the body cut
                // off (no last chunk); the log says why.
                logger.warning("usage export cut off", metadata: ["from": "\(first)", "error": "\(error)"])
                throw error
            }
        }
        return nil
    }
}
