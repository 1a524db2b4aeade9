/// What one sealed spool segment adds to `model_usage`, read without I/O: its
/// records aggregated per (service, model, UTC day) and priced, their ids, the
/// whole lines that do not read as records, and the bytes of an unfinished last
/// line (a crash mid-write: never acknowledged, so dropped).
///
/// The flusher writes it with `UsageFlushStore` in one transaction, the lines of
/// refused rows and the unreadable lines going to quarantine before the COMMIT.
package struct SegmentFlush: Sendable {
    /// How a flush ended, for the flusher's counters and log.
    package struct Result: Sendable {
        package var aggregate: UsageAggregate
        package var ids: [(id: String, acceptedAt: Int64)]
        package var alreadyFlushed: Bool
        package var tornBytes: Int
        /// Whole lines that do not read as records: not counted, quarantined.
        package var unreadableLines: Int
        /// Rows the database refused for good (a constraint, an overflow); their
        /// records went to the quarantine file instead.
        package var quarantined: [(key: UsageAggregate.Key, error: PostgresError)] = []
        /// The budgets' ledger rows as the segment's transaction left them.
        package var ledger: [BudgetLedgerValue] = []
    }

    package let aggregate: UsageAggregate
    package let ids: [(id: String, acceptedAt: Int64)]
    /// The unreadable lines, each newline-terminated, as they go to quarantine.
    package let unreadable: [UInt8]
    package let unreadableLines: Int
    package let tornBytes: Int
    /// The segment up to its last newline.
    private let complete: [UInt8]

    package init(segment bytes: [UInt8], pricer: inout UsagePricer) {
        let newline = UInt8(ascii: "\n")
        complete = bytes.last == newline || bytes.isEmpty ? bytes : Array(bytes[..<((bytes.lastIndex(of: newline) ?? -1) + 1)])
        tornBytes = bytes.count - complete.count
        var aggregate = UsageAggregate()
        var ids: [(id: String, acceptedAt: Int64)] = []
        var unreadable: [UInt8] = []
        var unreadableLines = 0
        SpoolLine.forEachLine(in: complete) { line in
            guard let stored = SpoolLine.decodeWithAcceptance(line) else {
                unreadable += line
                unreadable.append(newline)
                unreadableLines += 1
                return
            }
            aggregate.add(stored.record, timestamp: stored.timestamp, pricer: &pricer)
            if let id = stored.record.id { ids.append((id, stored.acceptedAt)) }
        }
        self.aggregate = aggregate
        self.ids = ids
        self.unreadable = unreadable
        self.unreadableLines = unreadableLines
    }

    /// The spool lines of the refused rows, found again in the segment (refusals
    /// are rare: no copy of every line is kept for them).
    package func lines(of keys: Set<UsageAggregate.Key>) -> [UInt8] {
        guard !keys.isEmpty else { return [] }
        var out: [UInt8] = []
        SpoolLine.forEachLine(in: complete) { line in
            guard let stored = SpoolLine.decode(line),
                keys.contains(UsageAggregate.key(for: stored.record, timestamp: stored.timestamp))
            else { return }
            out += line
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    /// What goes to quarantine before the COMMIT when `refused` rows were set aside.
    package func setAside(refused: [(key: UsageAggregate.Key, error: PostgresError)]) -> [UInt8] {
        lines(of: Set(refused.map(\.key))) + unreadable
    }

    package func result(alreadyFlushed: Bool, refused: [(key: UsageAggregate.Key, error: PostgresError)]) -> Result {
        Result(
            aggregate: aggregate, ids: ids, alreadyFlushed: alreadyFlushed, tornBytes: tornBytes,
            unreadableLines: alreadyFlushed ? 0 : unreadableLines, quarantined: alreadyFlushed ? [] : refused)
    }
}
