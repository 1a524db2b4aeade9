#if canImport(Glibc)
    import Glibc
#endif

/// A budget's period: a UTC calendar day, a week from Monday 00:00, or a month
/// from the 1st. A record's own timestamp picks its period, so a period never
/// needs resetting: the next one simply starts with nothing recorded in it.
/// Computed here for the daemon and the CLI, and by migration 003's
/// `providerd_period_start` in the database; `BudgetPeriodTests` holds the two to
/// the same answers.
package enum BudgetPeriod: String, Sendable, Equatable, CaseIterable {
    case day
    case week
    case month

    /// Unix seconds of the start of the period holding `seconds`.
    package func start(containing seconds: Int64) -> Int64 {
        let day = Self.floorDiv(seconds, 86_400)
        switch self {
        case .day:
            return day * 86_400
        case .week:
            // 1970-01-01 was a Thursday: three days after a Monday.
            let sinceMonday = ((day + 3) % 7 + 7) % 7
            return (day - sinceMonday) * 86_400
        case .month:
            let (year, month) = Self.yearMonth(ofDay: day)
            return Int64(RFC3339.daysFromCivil(year: year, month: month, day: 1)) * 86_400
        }
    }

    /// Unix seconds of the start of the next period, for a period starting at `start`.
    package func end(ofPeriodStarting start: Int64) -> Int64 {
        switch self {
        case .day: return start + 86_400
        case .week: return start + 7 * 86_400
        case .month:
            let (year, month) = Self.yearMonth(ofDay: Self.floorDiv(start, 86_400))
            let next = month == 12 ? (year + 1, 1) : (year, month + 1)
            return Int64(RFC3339.daysFromCivil(year: next.0, month: next.1, day: 1)) * 86_400
        }
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    static func yearMonth(ofDay day: Int64) -> (year: Int, month: Int) {
        var time = time_t(day * 86_400)
        var parts = tm()
        _ = gmtime_r(&time, &parts)
        return (Int(parts.tm_year) + 1_900, Int(parts.tm_mon) + 1)
    }
}
