import Synchronization

/// The usage half's counters: what `{"op":"stats"}` answers and what STATUS shows.
package struct UsageStats: Sendable, Equatable {
    /// Records acknowledged, lines refused, records dropped as resends.
    package var accepted: Int64 = 0
    package var refused: Int64 = 0
    package var duplicates: Int64 = 0
    /// Bytes in the spool's segments, and bytes queued for the next write round.
    package var storedBytes: Int64 = 0
    package var queuedBytes: Int64 = 0
    /// Files in `spool/quarantine` (whoever put them there).
    package var quarantinedFiles: Int64 = 0
    /// Segments and row groups quarantined by this process (STATUS shouts about them).
    package var quarantinedThisRun: Int64 = 0
    package var flushed: Int64 = 0
    package var unpriced: Int64 = 0
    /// Unix seconds of the last segment written to `model_usage`.
    package var lastFlush: Int64?

    package init() {}

    package var spooledBytes: Int64 { storedBytes + queuedBytes }

    /// `{"op":"stats"}`'s fields, in the order it prints them.
    package var fields: [(String, Int64?)] {
        [
            ("accepted", accepted), ("refused", refused), ("duplicates", duplicates), ("spooled_bytes", spooledBytes),
            ("quarantined", quarantinedFiles), ("flushed", flushed), ("unpriced", unpriced), ("last_flush", lastFlush),
        ]
    }

    /// The usage part of the daemon's STATUS line.
    package var statusText: String {
        var text = "usage: \(flushed) flushed, \(spooledBytes) bytes spooled"
        if quarantinedThisRun > 0 { text += ", QUARANTINED \(quarantinedThisRun) (see spool/quarantine)" }
        return text
    }
}
