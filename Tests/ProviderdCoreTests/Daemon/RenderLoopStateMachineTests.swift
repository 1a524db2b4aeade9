import Testing

@testable import ProviderdCore

/// Every path the daemon's outage, signal and reload tests drive through the binary,
/// decided here without a database or a clock. Randomness picks the top of each
/// range: polls come at 1.1 × the interval, backoffs at their full length.
@Suite("Render loop state machine")
struct RenderLoopStateMachineTests {
    typealias Action = RenderLoopStateMachine.Action

    static func machine(startupWait: Double = 60, pollInterval: Double = 10) -> RenderLoopStateMachine {
        RenderLoopStateMachine(startedAt: 1000, startupWait: startupWait, pollInterval: pollInterval, random: { $0.upperBound })
    }

    /// Started, connected and rendered from the database at t = 1000.
    static func serving() -> RenderLoopStateMachine {
        var machine = machine()
        _ = machine.start()
        _ = machine.connected(now: 1000)
        _ = machine.rendered(version: 7, published: true)
        return machine
    }

    @Test("a start with the database up: connect, render, then the first READY and the LISTEN wait until the poll")
    func startFromDatabase() {
        var machine = Self.machine()
        #expect(machine.start() == [.connect])
        #expect(machine.connected(now: 1000) == [.render])
        #expect(!machine.ready)
        #expect(machine.rendered(version: 7, published: true) == [.announceReady, .waitForChange(until: 1011)])
        #expect(machine.ready)
    }

    @Test("a NOTIFY: collect the burst, render, STATUS (never READY again)")
    func notification() {
        var machine = Self.serving()
        #expect(machine.notified() == [.collectNotifications, .render])
        #expect(machine.rendered(version: 8, published: true) == [.sendStatus, .waitForChange(until: 1011)])
    }

    @Test("the poll: a watchdog tick waits on; at the poll time the version is read; unchanged is STATUS only")
    func pollUnchanged() {
        var machine = Self.serving()
        #expect(machine.waitTimedOut(now: 1005) == [.waitForChange(until: 1011)])
        #expect(machine.waitTimedOut(now: 1011) == [.readVersion])
        #expect(machine.nextPoll == 1022)
        #expect(machine.versionRead(7) == [.sendStatus, .waitForChange(until: 1022)])
    }

    @Test("the poll renders when the version moved, when the counter table is missing, or after a failed publish")
    func pollRenders() {
        var moved = Self.serving()
        _ = moved.waitTimedOut(now: 1011)
        #expect(moved.versionRead(8) == [.render])

        var missing = Self.serving()
        _ = missing.waitTimedOut(now: 1011)
        #expect(missing.versionRead(nil) == [.render])

        var failed = Self.serving()
        _ = failed.notified()
        #expect(failed.rendered(version: 7, published: false) == [.sendStatus, .waitForChange(until: 1011)])
        #expect(failed.publishFailed)
        _ = failed.waitTimedOut(now: 1011)
        #expect(failed.versionRead(7) == [.render])
        #expect(failed.rendered(version: 7, published: true) == [.sendStatus, .waitForChange(until: 1022)])
        #expect(!failed.publishFailed)
    }

    @Test("PostgreSQL lost after READY: STATUS stale, back off, reconnect with a full render and no second READY")
    func outageAfterReady() {
        var machine = Self.serving()
        #expect(machine.databaseFailed(now: 1003) == [.sendStatus, .pause(seconds: 0.2)])
        #expect(machine.pauseEnded() == [.connect])
        #expect(machine.databaseFailed(now: 1004) == [.sendStatus, .pause(seconds: 0.4)])
        #expect(machine.pauseEnded() == [.connect])
        #expect(machine.databaseFailed(now: 1005) == [.sendStatus, .pause(seconds: 0.8)])
        _ = machine.pauseEnded()
        #expect(machine.connected(now: 1006) == [.render])
        #expect(machine.rendered(version: 7, published: true) == [.sendStatus, .waitForChange(until: 1017)])
        // The database answered: the next outage starts from the shortest delay again.
        #expect(machine.databaseFailed(now: 1020) == [.sendStatus, .pause(seconds: 0.2)])
    }

    @Test("backoff stops growing at 30 s")
    func backoffCap() {
        var machine = Self.serving()
        var delays: [Double] = []
        for step in 0..<12 {
            for action in machine.databaseFailed(now: 1100 + Double(step)) {
                if case .pause(let seconds) = action { delays.append(seconds) }
            }
            _ = machine.pauseEnded()
        }
        #expect(delays.prefix(4) == [0.2, 0.4, 0.8, 1.6])
        #expect(delays.max() == 30)
        #expect(delays.suffix(3) == [30, 30, 30])
    }

    @Test("restarted with PostgreSQL down: the sealed state is published, READY comes from it, and the loop keeps trying")
    func startFromSealedState() {
        var machine = Self.machine()
        _ = machine.start()
        #expect(machine.databaseFailed(now: 1000) == [.restoreSealedState])
        #expect(machine.retryIn == 0.2)
        #expect(machine.sealedStateRestored(true, now: 1000) == [.announceReady, .pause(seconds: 0.2)])
        #expect(machine.ready)
        #expect(machine.pauseEnded() == [.connect])
        // Still down: no second restore, STATUS only.
        #expect(machine.databaseFailed(now: 1001) == [.sendStatus, .pause(seconds: 0.4)])
        _ = machine.pauseEnded()
        #expect(machine.connected(now: 1002) == [.render])
        #expect(machine.rendered(version: 7, published: true) == [.sendStatus, .waitForChange(until: 1013)])
    }

    @Test("no database and no sealed state: extend the start timeout while waiting, stop after startup.wait")
    func noDatabaseNoSealedState() {
        var machine = Self.machine(startupWait: 5)
        _ = machine.start()
        #expect(machine.databaseFailed(now: 1000) == [.restoreSealedState])
        #expect(machine.sealedStateRestored(false, now: 1000) == [.extendStartTimeout(seconds: 30, waited: 0), .pause(seconds: 0.2)])
        _ = machine.pauseEnded()
        _ = machine.databaseFailed(now: 1003)
        #expect(machine.sealedStateRestored(false, now: 1003) == [.extendStartTimeout(seconds: 30, waited: 3), .pause(seconds: 0.4)])
        _ = machine.pauseEnded()
        _ = machine.databaseFailed(now: 1005)
        #expect(machine.sealedStateRestored(false, now: 1005) == [.stop(.noDatabase(waitedSeconds: 5))])
        #expect(machine.isStopped)
        #expect(!machine.ready)
    }

    @Test("the first render's files cannot be written: STATUS, no READY; the next poll retries and READY follows")
    func firstPublishFails() {
        var machine = Self.machine()
        _ = machine.start()
        _ = machine.connected(now: 1000)
        #expect(machine.rendered(version: 7, published: false) == [.sendStatus, .waitForChange(until: 1011)])
        #expect(!machine.ready)
        _ = machine.waitTimedOut(now: 1011)
        #expect(machine.versionRead(7) == [.render])
        #expect(machine.rendered(version: 7, published: true) == [.announceReady, .waitForChange(until: 1022)])
    }

    @Test("SIGHUP on the same database: apply, re-render, READY=1, and the poll restarts on the new interval")
    func reloadSameDatabase() {
        var machine = Self.serving()
        #expect(machine.reloadRequested(reconnect: false, pollInterval: 20, now: 1005) == [.applyReload, .render])
        #expect(machine.rendered(version: 7, published: true) == [.sendReady, .waitForChange(until: 1027)])
        // Only the reload's render owes READY.
        _ = machine.notified()
        #expect(machine.rendered(version: 8, published: true) == [.sendStatus, .waitForChange(until: 1027)])
    }

    @Test("SIGHUP whose files cannot be written still ends the reload with READY=1 (the old files stay)")
    func reloadPublishFails() {
        var machine = Self.serving()
        _ = machine.reloadRequested(reconnect: false, pollInterval: 10, now: 1005)
        #expect(machine.rendered(version: 7, published: false) == [.sendReady, .waitForChange(until: 1016)])
    }

    @Test("SIGHUP moving database.url: a new session, READY=1 after its render, or after it fails")
    func reloadNewDatabase() {
        var reached = Self.serving()
        #expect(reached.reloadRequested(reconnect: true, pollInterval: 10, now: 1005) == [.applyReload, .disconnect, .connect])
        #expect(reached.connected(now: 1006) == [.render])
        #expect(reached.rendered(version: 1, published: true) == [.sendReady, .waitForChange(until: 1017)])

        var unreachable = Self.serving()
        _ = unreachable.reloadRequested(reconnect: true, pollInterval: 10, now: 1005)
        #expect(unreachable.databaseFailed(now: 1006) == [.sendReady, .pause(seconds: 0.2)])
        _ = unreachable.pauseEnded()
        #expect(unreachable.databaseFailed(now: 1007) == [.sendStatus, .pause(seconds: 0.4)])
    }

    @Test("SIGHUP while backing off: apply, READY=1 (STATUS before the first READY), connect at once")
    func reloadWhileDown() {
        var ready = Self.serving()
        _ = ready.databaseFailed(now: 1003)
        #expect(ready.reloadRequested(reconnect: false, pollInterval: 10, now: 1003) == [.applyReload, .sendReady, .connect])

        var starting = Self.machine()
        _ = starting.start()
        _ = starting.databaseFailed(now: 1000)
        _ = starting.sealedStateRestored(false, now: 1000)
        #expect(starting.reloadRequested(reconnect: true, pollInterval: 10, now: 1001) == [.applyReload, .sendStatus, .connect])
        #expect(!starting.ready)
    }

    @Test("shutdown stops from any state, once")
    func shutdown() {
        var serving = Self.serving()
        #expect(serving.shutdown() == [.stop(.shutdown)])
        #expect(serving.shutdown() == [])
        #expect(serving.reloadRequested(reconnect: false, pollInterval: 10, now: 1001) == [])

        var starting = Self.machine()
        _ = starting.start()
        _ = starting.databaseFailed(now: 1000)
        #expect(starting.shutdown() == [.stop(.shutdown)])
        #expect(starting.isStopped)
    }

    @Test("an action that yields a result is always the last of its list")
    func resultActionsLast() {
        func yieldsResult(_ action: Action) -> Bool {
            switch action {
            case .connect, .render, .readVersion, .waitForChange, .restoreSealedState, .pause, .stop: true
            default: false
            }
        }
        var lists: [[Action]] = []
        var machine = Self.machine(startupWait: 2)
        lists.append(machine.start())
        lists.append(machine.databaseFailed(now: 1000))
        lists.append(machine.sealedStateRestored(false, now: 1000))
        lists.append(machine.reloadRequested(reconnect: false, pollInterval: 10, now: 1000))
        lists.append(machine.connected(now: 1001))
        lists.append(machine.rendered(version: 1, published: true))
        lists.append(machine.notified())
        lists.append(machine.rendered(version: 2, published: false))
        lists.append(machine.waitTimedOut(now: 1100))
        lists.append(machine.versionRead(2))
        lists.append(machine.reloadRequested(reconnect: true, pollInterval: 10, now: 1101))
        lists.append(machine.databaseFailed(now: 1102))
        lists.append(machine.shutdown())
        for list in lists {
            #expect(!list.isEmpty)
            #expect(list.dropLast().allSatisfy { !yieldsResult($0) }, "\(list)")
        }
    }
}
