#if canImport(Glibc)
    import Glibc
#endif

/// Fits `ids.table` to the settings at start. Its size comes from
/// `usage.spool_max_bytes` (a quarter of it) and its expiry times from
/// `usage.id_window`, both of which an operator may change between restarts. A
/// table kept at its old size either takes more of the spool's bound than the
/// bound has (every record `spool full`) or holds too few ids (resends inside
/// the window counted again); expiry times kept for the old window are wrong by
/// the difference.
///
/// So a table made for other settings is rebuilt from itself: a new file of the
/// right size under the same digest key, every slot carried over with its expiry
/// moved to the new window (`expiry - old + new`; an id that the new window still
/// covers is live again, one it no longer covers is dropped), written out, then
/// renamed over the old one. A crash before the rename leaves the old table and a
/// stray `ids.table.resize`, which the next start removes. Ids in `ids.log` and the
/// spool are added afterwards, as at every start.
package enum IdTableResize {
    /// What a start changed, for the log.
    package struct Outcome: Sendable, Equatable {
        package var slotsBefore: Int
        package var slotsAfter: Int
        package var windowBefore: Int64?
        package var windowAfter: Int64
        package var carried: Int
    }

    /// Opens the table at `path` for `window` and `capacity`, rebuilding it first
    /// when it was made for other settings. Returns the open table and, when it was
    /// rebuilt, what changed.
    package static func open(path: String, window: Int64, capacity: Int, now: Int64) throws -> (IdWindow, Outcome?) {
        let scratch = path + ".resize"
        _ = unlink(scratch)
        let current = try IdWindow(window: window, capacity: capacity, path: path)
        let wantedSlots = IdWindow.slots(forCapacity: capacity)
        let windowChanged = current.storedWindow.map { $0 != window } ?? false
        guard current.slotCount != wantedSlots || windowChanged else {
            if current.storedWindow == nil { try current.recordWindow(window) }
            return (current, nil)
        }
        // The window the expiry times were written for; a first-version table did
        // not record it, and the configured one is the best guess.
        let before = current.storedWindow ?? window
        var carried = 0
        do {
            let next = try IdWindow(window: window, capacity: capacity, path: scratch, key: current.key)
            current.forEachSlot { digest, expiry in
                let moved = expiry - before + window
                guard moved > now else { return }
                next.insert(digest, acceptedAt: moved - window, now: now)
                carried += 1
            }
            try next.syncer.sync()
        } catch {
            _ = unlink(scratch)
            throw error
        }
        let outcome = Outcome(
            slotsBefore: current.slotCount, slotsAfter: wantedSlots, windowBefore: current.storedWindow,
            windowAfter: window, carried: carried)
        guard rename(scratch, path) == 0 else {
            let failure = SystemError("replace the id table with its rebuilt copy", path: path)
            _ = unlink(scratch)
            throw failure
        }
        try AtomicFileWriter.syncDirectory(AtomicFileWriter.directory(of: path))
        return (try IdWindow(window: window, capacity: capacity, path: path), outcome)
    }
}
