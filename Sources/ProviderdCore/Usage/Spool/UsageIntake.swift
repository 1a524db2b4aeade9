import NIOCore

/// Takes validated records from every connection, drops resent ids, and makes
/// them durable in the spool with group commit: while one `fdatasync` runs, new
/// records queue up and share the next one, so throughput does not hinge on the
/// disk. `submit` returns only once the records are on disk: that is when a client
/// may be told `{"ok":true}`.
///
/// Idempotency and group commit only: the files are the `Spool`'s, the counters
/// live on the `UsageStatsBoard`.
package actor UsageIntake {
    package struct Outcome: Sendable, Equatable {
        package var accepted: Int
        package var duplicates: Int
    }

    package enum Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        case spoolFull
        case writeFailed(String)
        package var description: String {
            switch self {
            case .spoolFull: "spool full"
            case .writeFailed(let reason): "cannot write the spool: \(reason)"
            }
        }
    }

    /// Where the records go; the flusher takes them from there.
    package nonisolated let spool: Spool
    package nonisolated let stats: UsageStatsBoard
    private let maxBytes: Int
    private var ids: IdWindow
    private var pending: [UInt8] = []
    private var spare: [UInt8] = []
    private var waiters: [(continuation: CheckedContinuation<Void, any Error>, ids: [IdWindow.Digest], acceptedAt: Int64, forBudgets: PendingRecords?)] = []
    /// Where the spend of acknowledged records goes until their segment is flushed.
    package nonisolated let budgets: BudgetBoard?
    /// What the socket's `metrics` op answers with (nil: an empty text).
    package nonisolated let metrics: ProviderdMetrics?
    private var writing = false
    /// Ids of records queued or being written, with the write round that carries
    /// them: they join `ids` only once that round is durable.
    private var writingIDs: [IdWindow.Digest: UInt64] = [:]
    /// The write round the bytes in `pending` will go out in; rounds finish in order.
    private var round: UInt64 = 1
    private var completedRound: UInt64 = 0
    private var roundWaiters: [UInt64: [CheckedContinuation<Void, Never>]] = [:]
    private var queuedBytes = 0
    /// `fdatasync` rounds so far; far fewer than submissions under load (group commit).
    package private(set) var commits = 0

    package nonisolated func noteRefused(_ count: Int = 1) { stats.update { $0.refused += Int64(count) } }

    /// `storage`'s spool, stats and id table, and the id window (its ids already
    /// readmitted: `UsageStorage.open`), which only the intake touches from here.
    package init(
        storage: UsageStorage, ids: sending IdWindow, maxBytes: Int, budgets: BudgetBoard? = nil, metrics: ProviderdMetrics? = nil
    ) {
        self.budgets = budgets
        self.metrics = metrics
        self.maxBytes = maxBytes
        self.ids = ids
        self.idTable = storage.idTable
        self.stats = storage.stats
        self.spool = storage.spool
    }

    /// An intake with a spool, stats and id window of its own (tests, tools): the
    /// window opened (or made) at `idTable` (nil: in memory only), its ids
    /// readmitted from `idLog` and the unflushed segments.
    package init(
        files: sending SpoolFiles, loop: any EventLoop, maxBytes: Int, idWindow: Int64, now: Int64,
        idLog: [(id: String, acceptedAt: Int64)] = [], idTable: String? = nil, idCapacity: Int = 10_000_000,
        stats: UsageStatsBoard = UsageStatsBoard(), budgets: BudgetBoard? = nil
    ) throws {
        self.budgets = budgets
        self.metrics = nil
        var ids = try IdWindow(window: idWindow, capacity: idCapacity, path: idTable)
        UsageStorage.readmit(into: &ids, logged: idLog, unflushed: try files.unflushedContents(), now: now)
        let table = IdTableFile(ids: ids)
        self.maxBytes = maxBytes
        self.idTable = table
        self.stats = stats
        self.spool = Spool(files: files, loop: loop, stats: stats)
        self.ids = ids
    }

    /// The id table's file: the disk it takes counts against the bound (the
    /// flusher's checkpoints measure it again).
    private let idTable: IdTableFile

    package nonisolated var spooledBytes: Int { Int(stats.current.spooledBytes) }

    /// Spools `records` (all or none); returns how many were new and how many were
    /// resends of an id already accepted. `timestamp` nil means `now`.
    package func submit(_ records: [UsageRecord], now: Int64) async throws -> Outcome {
        switch await submit(lines: [.many(records)], now: now)[0] {
        case .success(let outcome): return outcome
        case .failure(let refusal): throw refusal
        }
    }

    /// The records of one request line: one record (no array to allocate), or a batch.
    package enum Line: Sendable {
        case one(UsageRecord)
        case many([UsageRecord])
    }

    /// Spools the records of many request lines with one write and one `fdatasync`;
    /// each line is all or nothing on its own. Results are in the order of `lines`.
    ///
    /// A record whose id is durable already is a duplicate. A record whose id is
    /// still being written (its original is in a write that has not finished) waits
    /// for that write, then is judged again: a duplicate if the original became
    /// durable, written itself if the original failed. So `duplicate` always means
    /// that the original is on disk.
    package func submit(lines: [Line], now: Int64) async -> [Result<Outcome, Refusal>] {
        let storedBytes = Int(stats.current.storedBytes)
        let tableBytes = idTable.diskBytes
        var results: [Result<Outcome, Refusal>?] = []
        results.reserveCapacity(lines.count)
        var bytes: [UInt8] = []
        var newIDs: [IdWindow.Digest] = []
        var written: [Int] = []  // indices of lines whose records are in `bytes`
        var deferred: [Int] = []  // lines that resend an id still being written
        var waitFor: UInt64 = 0
        // The accepted records, for the budgets' pending spend: only while a budget is active.
        let keepForBudgets = budgets?.wantsRecords == true
        var forBudgets: [UsageRecord] = []
        for line in lines {
            var outcome = Outcome(accepted: 0, duplicates: 0)
            let start = bytes.count, idStart = newIDs.count, budgetStart = forBudgets.count
            var inFlight: UInt64? = nil
            func take(_ record: UsageRecord, seenHere: inout Set<IdWindow.Digest>?) {
                if let id = record.id {
                    let digest = ids.digest(id)
                    let repeated = seenHere.map { $0.contains(digest) } ?? false
                    if repeated || ids.contains(digest, now: now) {
                        outcome.duplicates += 1
                        return
                    }
                    if let round = writingIDs[digest] {
                        inFlight = max(inFlight ?? 0, round)
                        return
                    }
                    seenHere?.insert(digest)
                    newIDs.append(digest)
                }
                SpoolLine.encode(record, timestamp: record.timestamp ?? now, acceptedAt: now, into: &bytes)
                if keepForBudgets { forBudgets.append(record) }
                outcome.accepted += 1
            }
            switch line {
            case .one(let record):
                var none: Set<IdWindow.Digest>? = nil
                take(record, seenHere: &none)
            case .many(let records):
                var seen: Set<IdWindow.Digest>? = Set()
                for record in records {
                    take(record, seenHere: &seen)
                    if inFlight != nil { break }
                }
            }
            if let round = inFlight {
                bytes.removeSubrange(start...)
                newIDs.removeSubrange(idStart...)
                forBudgets.removeSubrange(budgetStart...)
                waitFor = max(waitFor, round)
                deferred.append(results.count)
                results.append(nil)
                continue
            }
            if storedBytes + queuedBytes + bytes.count + tableBytes > maxBytes {
                bytes.removeSubrange(start...)
                newIDs.removeSubrange(idStart...)
                forBudgets.removeSubrange(budgetStart...)
                results.append(.failure(.spoolFull))
                continue
            }
            for id in newIDs[idStart...] { writingIDs[id] = round }
            if outcome.accepted > 0 { written.append(results.count) }
            results.append(.success(outcome))
        }
        if !bytes.isEmpty {
            let budgetRecords = forBudgets.isEmpty ? nil : budgets?.pending(for: forBudgets, now: now)
            pending += bytes
            queuedBytes += bytes.count
            noteQueued()
            do {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    waiters.append((continuation, newIDs, now, budgetRecords))
                    if !writing {
                        writing = true
                        Task { await self.drain() }
                    }
                }
            } catch {
                for index in written { results[index] = .failure(.writeFailed("\(error)")) }
            }
        }
        count(results)
        if !deferred.isEmpty {
            await completion(of: waitFor)
            let again = await submit(lines: deferred.map { lines[$0] }, now: now)
            for (index, result) in zip(deferred, again) { results[index] = result }
        }
        return results.map { $0! }
    }

    /// Returns once write round `round` has finished, durable or not.
    private func completion(of round: UInt64) async {
        guard completedRound < round else { return }
        await withCheckedContinuation { roundWaiters[round, default: []].append($0) }
    }

    private func count(_ results: [Result<Outcome, Refusal>?]) {
        var accepted: Int64 = 0, duplicates: Int64 = 0
        for case .success(let outcome)? in results {
            accepted += Int64(outcome.accepted)
            duplicates += Int64(outcome.duplicates)
        }
        stats.update {
            $0.accepted += accepted
            $0.duplicates += duplicates
        }
    }

    private func noteQueued() {
        let queued = Int64(queuedBytes)
        stats.update { $0.queuedBytes = queued }
    }

    /// Writes what has queued up, one `fdatasync` per round, until nothing is left.
    /// Two buffers take turns (one being written, one filling), so a busy spool
    /// does not map and fault in a fresh megabyte-sized buffer every round.
    private func drain() async {
        while !pending.isEmpty {
            var bytes = pending
            let batch = waiters
            let thisRound = round
            round += 1
            pending = spare
            spare = []
            waiters = []
            do {
                let segment = try await spool.append(bytes)
                commits += 1
                // Before the acks: an agent that asks right after its ack sees its spend.
                budgets?.addPending(batch.compactMap(\.forBudgets), segment: segment)
                // Durable: from now on a resend is a duplicate.
                for waiter in batch {
                    for id in waiter.ids {
                        writingIDs.removeValue(forKey: id)
                        ids.insert(id, acceptedAt: waiter.acceptedAt, now: waiter.acceptedAt)
                    }
                    waiter.continuation.resume()
                }
            } catch {
                // Not durable: the ids stay unknown, so that the client's resend counts.
                for waiter in batch {
                    for id in waiter.ids { writingIDs.removeValue(forKey: id) }
                    waiter.continuation.resume(throwing: error)
                }
            }
            completedRound = thisRound
            for waiter in roundWaiters.removeValue(forKey: thisRound) ?? [] { waiter.resume() }
            queuedBytes -= bytes.count
            noteQueued()
            bytes.removeAll(keepingCapacity: true)
            if bytes.capacity <= 16 << 20 { spare = bytes }
        }
        writing = false
    }
}
