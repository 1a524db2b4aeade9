import Testing

@testable import ProviderdCore

@Suite("Budget periods: UTC day, week from Monday, month from the 1st")
struct BudgetPeriodTests {
    /// 2026-12-06T19:10:40Z, a Sunday.
    let sunday: Int64 = 1_796_584_240

    @Test("a day starts at UTC midnight and lasts 86,400 s")
    func day() {
        #expect(BudgetPeriod.day.start(containing: sunday) == 1_796_515_200)  // 2026-12-06T00:00:00Z
        #expect(BudgetPeriod.day.end(ofPeriodStarting: 1_796_515_200) == 1_796_601_600)
        #expect(BudgetPeriod.day.start(containing: 1_796_515_200) == 1_796_515_200)
        #expect(BudgetPeriod.day.start(containing: 1_796_515_199) == 1_796_428_800)
    }

    @Test("a week starts on Monday 00:00 UTC; a Sunday belongs to the week before it")
    func week() {
        #expect(BudgetPeriod.week.start(containing: sunday) == 1_795_996_800)  // Monday 2026-11-30
        #expect(BudgetPeriod.week.end(ofPeriodStarting: 1_795_996_800) == 1_796_601_600)  // Monday 2026-12-07
        #expect(BudgetPeriod.week.start(containing: 1_796_601_600) == 1_796_601_600)
        #expect(BudgetPeriod.week.start(containing: 0) == -259_200)  // 1970-01-01 was a Thursday
    }

    @Test("a month starts on the 1st; its end is the next 1st, across year ends and leap Februaries")
    func month() {
        #expect(BudgetPeriod.month.start(containing: sunday) == 1_796_083_200)  // 2026-12-01
        #expect(BudgetPeriod.month.end(ofPeriodStarting: 1_796_083_200) == 1_798_761_600)  // 2027-01-01
        let february2028 = Int64(RFC3339.daysFromCivil(year: 2028, month: 2, day: 1)) * 86_400
        #expect(BudgetPeriod.month.end(ofPeriodStarting: february2028) == Int64(RFC3339.daysFromCivil(year: 2028, month: 3, day: 1)) * 86_400)
        #expect(BudgetPeriod.month.start(containing: february2028 + 29 * 86_400 - 1) == february2028)
    }

    @Test("every period holds its start and not its end, over ten years of hours")
    func contiguous() {
        for period in BudgetPeriod.allCases {
            var t: Int64 = 1_577_836_800  // 2020-01-01
            while t < 1_893_456_000 {  // 2030-01-01
                let start = period.start(containing: t)
                let end = period.end(ofPeriodStarting: start)
                #expect(start <= t && t < end, "\(period) \(t)")
                #expect(period.start(containing: end) == end)
                t += 3_600 * 7
            }
        }
    }
}
