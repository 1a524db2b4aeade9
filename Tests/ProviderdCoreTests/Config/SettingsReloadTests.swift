import Testing

@testable import ProviderdCore

@Suite("Reload classes: every setting is live or needs a restart")
struct SettingsReloadTests {
    @Test("every setting the loader knows has exactly one class")
    func everySettingHasAClass() {
        let keys = SettingsReload.table.map(\.key)
        #expect(Set(keys).count == keys.count)
        let known = Set(SettingsLoader.environmentNames.keys).union(["output.env_names"])
        #expect(Set(keys) == known, "missing: \(known.subtracting(keys)), unknown: \(Set(keys).subtracting(known))")
    }

    @Test("changed keys are found by value; the socket's limits need a restart, database.url does not")
    func changes() {
        let old = ProviderdSettings()
        var new = old
        new.databaseURL = "postgresql://b/postgres"
        new.maxLineBytes = 1 << 20
        new.allowUIDs = [1001]
        #expect(SettingsReload.changedKeys(from: old, to: new) == ["database.url", "usage.allow_uids", "usage.max_line_bytes"])
        #expect(SettingsReload.reloadClass(of: "database.url") == .live)
        #expect(SettingsReload.reloadClass(of: "usage.max_line_bytes") == .restart)
        #expect(SettingsReload.reloadClass(of: "log.level") == .restart)
    }

    @Test("a pending restart change is announced once; a new value again; a change back is forgotten")
    func announcedOnce() {
        var notes = PendingRestartNotes(started: ProviderdSettings())
        var next = ProviderdSettings()
        next.maxLineBytes = 1 << 20
        next.databaseURL = "postgresql://b/postgres"
        #expect(notes.newlyPending(in: next) == ["usage.max_line_bytes"])
        #expect(notes.newlyPending(in: next) == [])
        next.maxLineBytes = 2 << 20
        #expect(notes.newlyPending(in: next) == ["usage.max_line_bytes"])
        #expect(notes.newlyPending(in: ProviderdSettings()) == [])
        next.maxLineBytes = 2 << 20
        #expect(notes.newlyPending(in: next) == ["usage.max_line_bytes"])
    }
}
