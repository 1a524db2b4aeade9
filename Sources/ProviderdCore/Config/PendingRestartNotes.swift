/// Which restart-class changes were already announced: a reload that finds the
/// same pending change again says nothing more; a new value, or a change back,
/// is announced (or forgotten) anew. Compared against the settings the process
/// started with, which is what the restart-class parts still run on.
package struct PendingRestartNotes: Sendable {
    package let started: ProviderdSettings
    private var announced: [String: String] = [:]

    package init(started: ProviderdSettings) { self.started = started }

    /// The restart-class keys to announce for this reload.
    package mutating func newlyPending(in next: ProviderdSettings) -> [String] {
        var fresh: [String] = []
        for entry in SettingsReload.table where entry.reload == .restart {
            let value = entry.value(next)
            if value == entry.value(started) {
                announced[entry.key] = nil
            } else if announced[entry.key] != value {
                announced[entry.key] = value
                fresh.append(entry.key)
            }
        }
        return fresh
    }
}
