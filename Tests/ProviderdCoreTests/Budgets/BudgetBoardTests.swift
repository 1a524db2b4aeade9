import Foundation
import Testing

@testable import ProviderdCore

@Suite("The budget board: database spend, pending acks, and their hand-over")
struct BudgetBoardTests {
    /// 2026-12-06T12:00:00Z.
    static let noon: Int64 = 1_796_558_400
    static let day = BudgetPeriod.day.start(containing: noon)

    static let table = try! PriceTable.builtIn()

    func board(failClosed: Bool = false) -> BudgetBoard {
        var settings = ProviderdSettings()
        settings.budgetsFailClosed = failClosed
        settings.budgetsStaleAfter = 10
        return BudgetBoard(settings: settings, prices: Self.table)
    }

    func status(_ name: String, id: Int64, scope: BudgetScope, limit: Decimal, spent: Decimal, periodStart: Int64 = day) -> BudgetStatus {
        let budget = Budget(id: id, name: name, scope: scope, period: .day, limit: limit, thresholds: [1], action: .block)
        return BudgetStatus(budget: budget, periodStart: periodStart, spent: spent, unpricedRequests: 0, asOf: Double(Self.noon))
    }

    func record(_ service: String, tokens: Int64 = 1_000_000, at: Int64 = noon) -> UsageRecord {
        UsageRecord(serviceName: service, modelString: "openai:gpt-4o", inputTokens: tokens, timestamp: at)
    }

    func spent(_ board: BudgetBoard, _ name: String, at: Int64 = noon) -> Decimal? {
        board.statuses(now: Double(at)).first { $0.budget.name == name }?.spent
    }

    @Test("an ack counts at once; at its segment's commit the ledger value replaces it, never counted twice")
    func handOver() throws {
        let board = board()
        board.refreshed([status("rag", id: 1, scope: .service("rag"), limit: 10, spent: 1)], at: Double(Self.noon))
        let cost = try #require(
            { () -> Decimal? in
                var pricer = UsagePricer(table: Self.table, unknown: .seedFallback)
                return pricer.price(record("rag"), at: Self.noon).cost
            }())
        #expect(cost > 0)
        let pending = try #require(board.pending(for: [record("rag"), record("docs")], now: Self.noon))
        board.addPending(pending, segment: "s1")
        #expect(spent(board, "rag") == 1, "priced off the ack path, by settle")
        board.settle()
        #expect(spent(board, "rag") == 1 + cost)
        // A refresh read before the commit: the pending part stays.
        board.refreshed([status("rag", id: 1, scope: .service("rag"), limit: 10, spent: 1)], at: Double(Self.noon + 1))
        #expect(spent(board, "rag") == 1 + cost)
        board.committed(segment: "s1", ledger: [BudgetLedgerValue(budgetID: 1, periodStart: Self.day, spent: 1 + cost, unpricedRequests: 0)])
        #expect(spent(board, "rag") == 1 + cost)
        // A late read (started before the commit) cannot take the committed spend back.
        board.refreshed([status("rag", id: 1, scope: .service("rag"), limit: 10, spent: 1)], at: Double(Self.noon + 2))
        #expect(spent(board, "rag") == 1 + cost)
        // An ack that arrives after its segment's commit is already counted.
        let late = try #require(board.pending(for: [record("rag")], now: Self.noon))
        board.addPending(late, segment: "s1")
        board.settle()
        #expect(spent(board, "rag") == 1 + cost)
    }

    @Test("a budget op during a settle waits for it: the records it is pricing (perhaps the caller's own) are in the answer")
    func verdictWaitsForSettle() throws {
        let board = board()
        board.refreshed([status("all", id: 1, scope: .global, limit: 1_000_000, spent: 0)], at: Double(Self.noon))
        // Enough distinct records that pricing them takes a while.
        let records = (0..<100_000).map { UsageRecord(serviceName: "svc\($0 % 500)", modelString: "openai:gpt-4o", inputTokens: 1_000, timestamp: Self.noon) }
        board.addPending(try #require(board.pending(for: records, now: Self.noon)), segment: "s1")
        let settling = Thread { board.settle() }
        settling.start()
        // Long enough for the settle to take the records, not to price them all.
        Thread.sleep(forTimeInterval: 0.005)
        let verdict = board.verdict(service: "svc1", model: "openai:gpt-4o", now: Double(Self.noon))
        #expect(verdict.budgets.first?.spent ?? 0 > 0, "the answer left out the records a settle was pricing")
    }

    @Test("records acknowledged before the first read and the prices wait, then count")
    func beforeTheFirstRead() throws {
        let board = BudgetBoard(settings: ProviderdSettings(), prices: nil)
        #expect(board.wantsRecords)
        let early = try #require(board.pending(for: [record("rag")], now: Self.noon))
        board.addPending(early, segment: "s1")
        board.settle()  // nothing known yet: kept
        board.refreshed([status("rag", id: 1, scope: .service("rag"), limit: 10, spent: 0)], at: Double(Self.noon))
        board.settle()  // no prices yet: kept
        #expect(spent(board, "rag") == 0)
        board.pricesLoaded(Self.table)
        board.settle()
        #expect(try #require(spent(board, "rag")) > 0)
        // No active budget: nothing is priced, nothing kept.
        let none = self.board()
        none.refreshed([], at: Double(Self.noon))
        #expect(!none.wantsRecords)
        #expect(none.pending(for: [record("rag")], now: Self.noon) == nil)
    }

    @Test("the period turns without a read: the new period starts at the acks made in it")
    func periodTurn() throws {
        let board = board()
        board.refreshed([status("all", id: 1, scope: .global, limit: 1, spent: 5)], at: Double(Self.noon))
        #expect(board.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).allowed == false)
        let tomorrow = Self.day + 86_400 + 60
        #expect(board.verdict(service: "s", model: "openai:gpt-4o", now: Double(tomorrow)).allowed == true)
        let pending = try #require(board.pending(for: [record("s", at: tomorrow)], now: tomorrow))
        board.addPending(pending, segment: "s2")
        board.settle()
        let next = board.statuses(now: Double(tomorrow))[0]
        #expect(next.periodStart == Self.day + 86_400 && next.spent > 0 && next.spent < 5)
        #expect(next.stale, "no read for longer than budgets.stale_after")
        // A late record, dated in the day before, counts there and not in today's spend.
        let late = try #require(board.pending(for: [record("s", at: Self.noon)], now: tomorrow))
        board.addPending(late, segment: "s3")
        board.settle()
        #expect(board.statuses(now: Double(tomorrow))[0].spent == next.spent)
    }

    @Test("budgets.unpriced block: a model the table does not know is refused; before the table is loaded, every model is")
    func unpriced() {
        var settings = ProviderdSettings()
        settings.budgetsBlockUnpriced = true
        let cap = status("cap", id: 1, scope: .global, limit: 100, spent: 0)
        let loaded = BudgetBoard(settings: settings, prices: Self.table)
        loaded.refreshed([cap], at: Double(Self.noon))
        #expect(loaded.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).allowed)
        #expect(loaded.verdict(service: "s", model: "acme:x", now: Double(Self.noon)).refusals == [.init(budget: "cap", reason: .unpriced)])
        let early = BudgetBoard(settings: settings, prices: nil)
        early.refreshed([cap], at: Double(Self.noon))
        #expect(early.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).refusals == [.init(budget: "cap", reason: .unpriced)])
        early.pricesLoaded(Self.table)
        #expect(early.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).allowed)
    }

    @Test("stale: a failed read, or none for budgets.stale_after; with fail_closed a block budget refuses")
    func stale() {
        let open = board()
        open.refreshed([status("cap", id: 1, scope: .global, limit: 100, spent: 0)], at: Double(Self.noon))
        #expect(!open.statuses(now: Double(Self.noon + 5))[0].stale)
        #expect(open.statuses(now: Double(Self.noon + 11))[0].stale)
        open.refreshFailed()
        #expect(open.statuses(now: Double(Self.noon))[0].stale)
        #expect(open.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).allowed)
        let closed = board(failClosed: true)
        closed.refreshed([status("cap", id: 1, scope: .global, limit: 100, spent: 0)], at: Double(Self.noon))
        closed.refreshFailed()
        #expect(closed.verdict(service: "s", model: "openai:gpt-4o", now: Double(Self.noon)).refusals == [.init(budget: "cap", reason: .stale)])
        #expect(closed.exceeded(for: [record("s")], now: Double(Self.noon)) == nil, "an ack says exceeded only when it is")
    }
}

@Suite("Acks priced in bulk")
struct PendingSpendTests {
    @Test("summing records at linear rates and pricing once gives the decimal a record-by-record sum gives; tiers, unknown and local models too")
    func bulkEqualsOneByOne() throws {
        let table = try PriceTable.builtIn()
        let models = [
            "openai:gpt-4o", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "google-gla:gemini-1.5-pro",
            "acme:unknown-model", "ollama:llama3", "deepseek:deepseek-chat",
        ]
        var generator = SystemRandomNumberGenerator()
        var records: [UsageRecord] = []
        for index in 0..<2_000 {
            let input = Int64.random(in: 0...300_000, using: &generator)
            records.append(
                UsageRecord(
                    serviceName: "svc\(index % 3)", modelString: models[index % models.count], inputTokens: input,
                    outputTokens: Int64.random(in: 0...5_000, using: &generator), cacheReadTokens: input / 4,
                    requestCount: Int64.random(in: 1...3, using: &generator),
                    timestamp: 1_796_558_400 + Int64(index) * 97))  // across two UTC days and times of day
        }
        var bulkPricer = UsagePricer(table: table, unknown: .seedFallback)
        let bulk = PendingSpend.priced(records, now: 0, pricer: &bulkPricer)
        var onePricer = UsagePricer(table: table, unknown: .seedFallback)
        var oneByOne = PendingSpend()
        for record in records { oneByOne.add(record, timestamp: record.timestamp!, pricer: &onePricer) }
        #expect(bulk.amounts.count == oneByOne.amounts.count)
        for (key, amount) in oneByOne.amounts {
            #expect(bulk.amounts[key]?.unpricedRequests == amount.unpricedRequests, "\(key)")
            #expect(bulk.amounts[key]?.cost == amount.cost, "\(key): \(bulk.amounts[key]?.cost ?? -1) vs \(amount.cost)")
        }
    }
}
