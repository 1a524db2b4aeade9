/// When the id table is written out and `ids.log` emptied: every minute, every
/// 5 s while the log is over 8 MiB, and at a stop. Often enough that a restart
/// after a crash replays little of `ids.log` (at most a few seconds of ids),
/// rarely enough that writing the table out does not become the flusher's work.
/// A failure (a full disk) is tried again at the next interval, not at every pass.
///
/// The ids of `ids.log` entered the table when their records were accepted, so
/// the log may go once the table is on disk.
package struct IdCheckpointer: Sendable {
    package enum Outcome: Sendable, Equatable {
        /// Not due yet.
        case skipped
        /// The table is on disk and `ids.log` empty.
        case written
        /// It failed; `report` is true for the first failure of a run of them.
        case failed(SystemError, report: Bool)
    }

    package static let interval = 60.0
    package static let minimumInterval = 5.0
    package static let logLimit = 8 << 20

    let table: IdTableFile
    let idLog: IdLog
    /// Monotonic seconds (`MonotonicSeconds`) of the last attempt.
    private var last: Double
    private var failing = FailureLatch()

    package init(table: IdTableFile, idLog: IdLog, now: Double) {
        self.table = table
        self.idLog = idLog
        self.last = now
    }

    package func isDue(now: Double, logBytes: Int) -> Bool {
        now - last >= Self.interval || (now - last >= Self.minimumInterval && logBytes > Self.logLimit)
    }

    /// Writes the table out and empties `ids.log` when due (or `force`: a stop).
    package mutating func checkpoint(force: Bool, now: Double) -> Outcome {
        guard force || isDue(now: now, logBytes: idLog.size) else { return .skipped }
        last = now
        do throws(SystemError) {
            try table.sync()
            try idLog.truncate()
        } catch {
            return .failed(error, report: failing.failed())
        }
        failing.succeeded()
        return .written
    }
}
