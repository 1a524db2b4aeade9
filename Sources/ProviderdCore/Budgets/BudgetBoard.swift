import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// This host's view of every budget, read by the usage socket on every `budget`
/// op and ack: the spend the database held at the last read, raised by the ledger
/// values each flush's transaction returns, plus the records acknowledged here
/// and not flushed yet.
///
/// Amounts only grow within a budget's period (costs are never negative and a
/// limit change keeps the ledger), so each update keeps the larger of what it
/// holds and what it is given: a refresh read that started before a flush
/// committed cannot take that flush's spend back. A segment's pending spend goes
/// in the same step as its ledger values arrive. Between a flush's COMMIT and that
/// step a refresh may already read the new total: the spend is then counted
/// twice for a moment, an overestimate, never an underestimate.
///
/// A `Mutex`, not an actor: the socket's event loop reads it and must not wait
/// for a hop; every critical section is a few dictionary operations. Pricing
/// (`settle`) runs outside it.
package final class BudgetBoard: Sendable {
    struct State {
        var statuses: [BudgetStatus] = []
        /// Unix seconds of the last successful database read; nil before the first.
        var asOf: Double?
        var failing = false
        /// A read has succeeded or failed: whether budgets exist is known (or stale).
        var known = false
        var pending: [String: PendingSpend] = [:]
        /// Segments whose spend the database has (their pending adds are dropped):
        /// an ack's pending add can arrive after its segment was flushed.
        var committed: [String] = []
        /// Acknowledged records, by segment, not priced yet (`settle` prices them).
        var raw: [String: [(records: [UsageRecord], now: Int64)]] = [:]
        var rawCount = 0
        var pricer: UsagePricer?
        var staleAfter: Double
        var policy: BudgetVerdict.Policy
        var unknownPrice: UsagePricer.UnknownPolicy
        var onChange: (@Sendable () -> Void)?
        var lastView = BudgetRenderView()
        /// The statuses as of one second, reused by every answer in that second
        /// until something changes (each ack asks; see `current`).
        var snapshot: Snapshot?
    }

    struct Snapshot {
        var second: Int64
        var statuses: [BudgetStatus]
        /// Exceeded `block` budgets: what an ack checks its records against.
        var blocking: [(scope: BudgetScope, name: String)]
    }

    private let state: Mutex<State>
    /// `settle`'s pricer, and one settle at a time: a caller that needs its own
    /// records priced waits for a settle in progress, which may be pricing them.
    private let settling: Mutex<UsagePricer?>
    static let committedMemory = 1_024
    static let maxRawRecords = 500_000

    package init(settings: ProviderdSettings, prices: PriceTable?) {
        let unknown: UsagePricer.UnknownPolicy = settings.unknownPrice == .zero ? .zero : .seedFallback
        settling = Mutex(prices.map { UsagePricer(table: $0, unknown: unknown) })
        state = Mutex(
            State(
                pricer: prices.map { UsagePricer(table: $0, unknown: unknown) }, staleAfter: settings.budgetsStaleAfter,
                policy: settings.budgetPolicy, unknownPrice: unknown))
    }

    /// SIGHUP: new policy, staleness bound and prices.
    package func update(settings: ProviderdSettings, prices: PriceTable?) {
        let unknown: UsagePricer.UnknownPolicy = settings.unknownPrice == .zero ? .zero : .seedFallback
        state.withLock { state in
            state.staleAfter = settings.budgetsStaleAfter
            state.policy = settings.budgetPolicy
            state.snapshot = nil
            state.unknownPrice = unknown
            if let prices { state.pricer = UsagePricer(table: prices, unknown: unknown) }
        }
        if let prices { settling.withLock { $0 = UsagePricer(table: prices, unknown: unknown) } }
    }

    /// The built-in prices, once the flusher has loaded them (when no price file
    /// is configured); an operator's table given at start or on SIGHUP stays.
    package func pricesLoaded(_ table: PriceTable) {
        let unknown = state.withLock { $0.unknownPrice }
        settling.withLock { pricer in if pricer == nil { pricer = UsagePricer(table: table, unknown: unknown) } }
        mutate { state in
            if state.pricer == nil { state.pricer = UsagePricer(table: table, unknown: state.unknownPrice) }
        }
    }

    /// Whether the intake should hand over the records it acknowledges: while a
    /// budget is active, and until the first read says whether any is (records
    /// acknowledged at start then wait, unpriced, for that read and the prices).
    package var wantsRecords: Bool {
        state.withLock { Self.wantsRecords($0) }
    }

    private static func wantsRecords(_ state: borrowing State) -> Bool {
        !state.known || state.statuses.contains { $0.budget.isActive }
    }

    /// Acknowledged records for the pending spend, as they are: `settle` prices them
    /// off the ack path. Nil when no budget is active.
    package func pending(for records: [UsageRecord], now: Int64) -> PendingRecords? {
        state.withLock { state in Self.wantsRecords(state) ? PendingRecords(records: records, now: now) : nil }
    }

    /// Records made durable in `segment`. Raw records change no answer until
    /// `settle` has priced them, so nothing is recomputed here: this is on the
    /// path of every ack.
    package func addPending(_ pending: PendingRecords, segment: String) {
        addPending([pending], segment: segment)
    }

    /// The records of one write round (every waiter's), under one lock.
    package func addPending(_ round: [PendingRecords], segment: String) {
        guard !round.isEmpty else { return }
        state.withLock { state in
            guard !state.committed.contains(segment) else { return }
            for pending in round {
                // Bounded: past it, records count from their flush on.
                guard state.rawCount + pending.records.count <= Self.maxRawRecords else { return }
                state.raw[segment, default: []].append((pending.records, pending.now))
                state.rawCount += pending.records.count
            }
        }
    }

    /// Prices the records acknowledged since the last call and adds them to the
    /// pending spend: every `BudgetRefresher.settleInterval` on the refresher's
    /// thread, and before a `budget` op (an agent that asks right after its ack
    /// must see its own spend), on the caller's thread (the cooperative pool, never
    /// the intake's actor). The pricing runs outside the board's lock.
    package func settle() {
        settling.withLock { pricer in
            guard pricer != nil else { return }
            let raw = state.withLock { state -> [String: [(records: [UsageRecord], now: Int64)]]? in
                guard state.rawCount > 0, state.known else { return nil }
                defer {
                    state.raw = [:]
                    state.rawCount = 0
                }
                return state.statuses.contains(where: { $0.budget.isActive }) ? state.raw : nil
            }
            guard let raw else { return }
            var priced: [String: PendingSpend] = [:]
            for (segment, groups) in raw {
                var spend = PendingSpend()
                for (records, now) in groups { spend.merge(PendingSpend.priced(records, now: now, pricer: &pricer!)) }
                priced[segment] = spend
            }
            mutate { state in
                for (segment, spend) in priced where !state.committed.contains(segment) {
                    state.pending[segment, default: PendingSpend()].merge(spend)
                }
            }
        }
    }

    /// `segment` committed: its spend is in the ledger values its transaction returned.
    package func committed(segment: String, ledger: [BudgetLedgerValue]) {
        mutate { state in
            state.pending[segment] = nil
            if let groups = state.raw.removeValue(forKey: segment) { state.rawCount -= groups.reduce(0) { $0 + $1.records.count } }
            state.committed.append(segment)
            if state.committed.count > Self.committedMemory { state.committed.removeFirst(state.committed.count - Self.committedMemory) }
            for value in ledger {
                guard let index = state.statuses.firstIndex(where: { $0.budget.id == value.budgetID }) else { continue }
                var status = state.statuses[index]
                if value.periodStart == status.periodStart {
                    status.spent = max(status.spent, value.spent)
                    status.unpricedRequests = max(status.unpricedRequests, value.unpricedRequests)
                } else if value.periodStart > status.periodStart {
                    // The period turned since the last read.
                    status = BudgetStatus(
                        budget: status.budget, periodStart: value.periodStart, spent: value.spent,
                        unpricedRequests: value.unpricedRequests, asOf: status.asOf)
                }
                state.statuses[index] = status
            }
        }
    }

    /// `segment` left the spool without reaching the ledger (quarantined whole).
    package func discard(segment: String) {
        mutate { state in
            state.pending[segment] = nil
            if let groups = state.raw.removeValue(forKey: segment) { state.rawCount -= groups.reduce(0) { $0 + $1.records.count } }
        }
    }

    /// A database read (`BudgetStore.statuses`) taken at `at`.
    package func refreshed(_ statuses: [BudgetStatus], at: Double) {
        mutate { state in
            var merged = statuses
            for index in merged.indices {
                let fresh = merged[index]
                guard
                    let old = state.statuses.first(where: {
                        $0.budget.id == fresh.budget.id && $0.budget.scope == fresh.budget.scope
                            && $0.budget.period == fresh.budget.period && $0.periodStart == fresh.periodStart
                    })
                else { continue }
                merged[index].spent = max(fresh.spent, old.spent)
                merged[index].unpricedRequests = max(fresh.unpricedRequests, old.unpricedRequests)
            }
            state.statuses = merged
            state.asOf = at
            state.failing = false
            state.known = true
        }
    }

    /// A database read failed: answers say stale until one succeeds.
    package func refreshFailed() {
        mutate { state in
            state.failing = true
            state.known = true
        }
    }

    /// Unix seconds of the last successful database read; nil before the first.
    package var asOf: Double? { state.withLock { $0.asOf } }

    /// Every budget as of `now`: the database's spend for the current period (none
    /// if the period turned since the read), plus this host's pending records in it.
    package func statuses(now: Double) -> [BudgetStatus] {
        state.withLock { Self.current(&$0, now: now).statuses }
    }

    /// Whether `service` may call `model` now, and the budgets that say so.
    package func verdict(service: String, model: String, now: Double) -> BudgetVerdict {
        // Always through `settle`: it waits for a settle in progress, whose records
        // (perhaps the caller's own) the board does not have yet.
        settle()
        return state.withLock { state in
            if state.asOf == nil, state.failing { return BudgetVerdict.unread(policy: state.policy) }
            let statuses = Self.current(&state, now: now).statuses
            var priced = true
            if state.policy.blockUnpriced {
                // No table yet: whether the model has a price is unknown, so it is not
                // taken to have one (the daemon loads the table at start in this mode).
                if var pricer = state.pricer, case .unknown = pricer.resolution(of: model) { priced = false }
                if state.pricer == nil { priced = false }
            }
            return BudgetVerdict(statuses: statuses, service: service, model: model, policy: state.policy, modelPriced: priced)
        }
    }

    /// What the budgets change in the two files, as of `now`.
    package func renderView(now: Double) -> BudgetRenderView {
        state.withLock { BudgetRenderView(statuses: Self.current(&$0, now: now).statuses) }
    }

    /// Called (outside the lock) when `renderView` changes: a state, a limit, a reset.
    package func onChange(_ handler: @escaping @Sendable () -> Void) {
        state.withLock { $0.onChange = handler }
    }

    /// A change to the board; the view's handler runs after the lock is released.
    private func mutate(_ body: (inout State) -> Void) {
        let handler = state.withLock { state -> (@Sendable () -> Void)? in
            body(&state)
            state.snapshot = nil
            return Self.viewMoved(&state, now: UTCTimestamp.now())
        }
        handler?()
    }

    /// Compares the view with the last one seen, after a change to what it is made
    /// of; returns the handler to call when it moved.
    private static func viewMoved(_ state: inout State, now: Double) -> (@Sendable () -> Void)? {
        guard state.onChange != nil, !(state.statuses.isEmpty && state.lastView.entries.isEmpty) else { return nil }
        let view = BudgetRenderView(statuses: current(&state, now: now).statuses)
        guard view != state.lastView else { return nil }
        state.lastView = view
        return state.onChange
    }

    /// The first exceeded `block` budget any of `records` falls under, for its ack.
    /// Asked for every record, so it never prices: it reads the second's snapshot,
    /// which has this host's acks up to the last settle (at most
    /// `BudgetRefresher.settleInterval` ago), and is a scan of an empty list while
    /// no blocking budget is exceeded.
    package func exceeded(for records: [UsageRecord], now: Double) -> String? {
        state.withLock { state in
            guard !state.statuses.isEmpty else { return nil }
            let blocking = Self.current(&state, now: now).blocking
            guard !blocking.isEmpty else { return nil }
            for record in records {
                if let hit = blocking.first(where: { $0.scope.applies(service: record.serviceName, model: record.modelString) }) {
                    return hit.name
                }
            }
            return nil
        }
    }

    /// The statuses as of `now`'s second: the snapshot, or made anew when the board
    /// changed or the second moved on (staleness and the period's turn count in seconds).
    private static func current(_ state: inout State, now: Double) -> Snapshot {
        let second = Int64(now.rounded(.down))
        if let snapshot = state.snapshot, snapshot.second == second { return snapshot }
        let statuses = statuses(state: state, now: now)
        let blocking = statuses.filter { $0.budget.isActive && $0.budget.action == .block && $0.state == .exceeded }
            .map { (scope: $0.budget.scope, name: $0.budget.name) }
        let snapshot = Snapshot(second: second, statuses: statuses, blocking: blocking)
        state.snapshot = snapshot
        return snapshot
    }

    private static func statuses(state: State, now: Double) -> [BudgetStatus] {
        let stale = state.failing || (state.asOf.map { now - $0 > state.staleAfter } ?? true)
        return state.statuses.map { read in
            var status = read
            let current = read.budget.period.start(containing: Int64(now.rounded(.down)))
            if current != read.periodStart {
                status = BudgetStatus(budget: read.budget, periodStart: current, spent: 0, unpricedRequests: 0, asOf: read.asOf)
            }
            for spend in state.pending.values {
                let amount = spend.amount(for: status.budget, periodStart: current)
                status.spent += amount.cost
                status.unpricedRequests += amount.unpricedRequests
            }
            status.stale = stale
            return status
        }
    }
}
