import Glibc
import Testing

@testable import ProviderdCore

/// Every decision `providerd exec` makes about its child, without a process or a
/// clock. Backoffs take the top of their range.
@Suite("Exec state machine")
struct ExecStateMachineTests {
    typealias Action = ExecStateMachine.Action

    static func environment(_ key: String, generation: Int = 1) -> ChildEnvironment {
        try! ChildEnvironment(variables: ["OPENAI_API_KEY": key], generation: generation)
    }

    static func policy(_ change: (inout ExecPolicy) -> Void = { _ in }) -> ExecPolicy {
        var policy = ExecPolicy()
        policy.debounce = 2
        policy.minRestartInterval = 5
        policy.killTimeout = 10
        change(&policy)
        return policy
    }

    /// Rendered at t = 100 and started as pid 4242 at t = 100.
    static func running(_ policy: ExecPolicy = policy()) -> ExecStateMachine {
        var machine = ExecStateMachine(policy: policy, random: { $0.upperBound })
        _ = machine.rendered(environment("a"), now: 100)
        _ = machine.started(pid: 4242, now: 100)
        return machine
    }

    @Test("no child before the first render; the first render starts it")
    func firstRender() {
        var machine = ExecStateMachine(policy: Self.policy())
        #expect(machine.deadline == nil)
        #expect(machine.tick(now: 50) == [])
        #expect(machine.signalReceived(SIGHUP, now: 50) == [], "nothing to forward to")
        #expect(machine.rendered(Self.environment("a"), now: 60) == [.start(Self.environment("a"))])
        #expect(machine.started(pid: 7, now: 60) == [])
        #expect(machine.groupLeader == 7)
    }

    @Test("SIGTERM before the first render ends providerd with 128 + 15, and no child ever starts")
    func stopBeforeRender() {
        var machine = ExecStateMachine(policy: Self.policy())
        #expect(machine.signalReceived(SIGTERM, now: 1) == [.exit(143)])
        #expect(machine.rendered(Self.environment("a"), now: 2) == [])
        #expect(machine.isFinished)
    }

    @Test("the same values under a new generation change nothing")
    func generationAlone() {
        var machine = Self.running()
        #expect(machine.rendered(Self.environment("a", generation: 2), now: 101) == [])
        #expect(machine.deadline == nil)
        #expect(machine.tick(now: 500) == [])
    }

    @Test("a burst of 20 changes in one second is one restart, after the debounce and the spacing")
    func burstIsOneRestart() {
        var machine = Self.running()
        var restarts = 0
        for step in 0..<20 {
            let actions = machine.rendered(Self.environment("k\(step)", generation: 2 + step), now: 110 + Double(step) * 0.05)
            #expect(!actions.contains { if case .signalGroup = $0 { true } else { false } })
        }
        // Debounce: 2 s after the last change (110.95).
        #expect(machine.deadline == 112.95)
        #expect(machine.tick(now: 112) == [])
        let stop = machine.tick(now: 112.95)
        #expect(stop == [.signalGroup(pid: 4242, signal: SIGTERM)])
        restarts += 1
        #expect(machine.childExited(status: 0, now: 113) == [.checkGroup(pid: 4242)])
        let start = machine.groupChecked(alive: false, now: 113)
        #expect(start == [.start(Self.environment("k19", generation: 21))], "the new child gets the latest values")
        #expect(restarts == 1)
        #expect(machine.started(pid: 5000, now: 113.1) == [])
        #expect(machine.deadline == nil)
    }

    @Test("a change soon after a start waits for the minimum restart interval")
    func spacing() {
        var machine = Self.running()
        #expect(machine.rendered(Self.environment("b"), now: 101) == [.changeDeferred(until: 105)])
        #expect(machine.deadline == 105)
        #expect(machine.tick(now: 104.9) == [])
        #expect(machine.tick(now: 105) == [.signalGroup(pid: 4242, signal: SIGTERM)])
    }

    @Test("a steady trickle of changes is acted on at the latest maxDelay after the first")
    func trickle() {
        var machine = Self.running()
        var now = 200.0
        _ = machine.rendered(Self.environment("x0"), now: now)
        for step in 1..<30 {
            now += 1.5
            _ = machine.rendered(Self.environment("x\(step)"), now: now)
            if now >= 210 { break }
        }
        #expect(machine.deadline == 210, "the first change at 200 plus max(10, 5 × 2)")
    }

    @Test("a change undone before it is acted on does nothing")
    func changedBack() {
        var machine = Self.running()
        _ = machine.rendered(Self.environment("b"), now: 110)
        #expect(machine.rendered(Self.environment("a", generation: 3), now: 111) == [])
        #expect(machine.deadline == nil)
        #expect(machine.tick(now: 120) == [])
    }

    @Test("the new child starts only when no process of the old group is left; SIGKILL at the kill timeout")
    func groupDrains() {
        var machine = Self.running()
        _ = machine.rendered(Self.environment("b"), now: 110)
        #expect(machine.tick(now: 112) == [.signalGroup(pid: 4242, signal: SIGTERM)])
        #expect(machine.deadline == 122)
        // The `sh` wrapper exits at once; the real program ignores SIGTERM.
        #expect(machine.childExited(status: 143, now: 112.1) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: true, now: 112.1) == [])
        #expect(machine.deadline == 112.1 + ExecStateMachine.groupPollInterval)
        #expect(machine.tick(now: 112.2) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: true, now: 121.9) == [])
        #expect(machine.tick(now: 122) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: true, now: 122) == [.signalGroup(pid: 4242, signal: SIGKILL)])
        _ = machine.tick(now: 122.1)
        #expect(machine.groupChecked(alive: false, now: 122.1) == [.start(Self.environment("b"))])
    }

    @Test("a child that ignores the stop signal gets SIGKILL at the kill timeout, then the new one starts")
    func killTimeout() {
        var machine = Self.running()
        _ = machine.rendered(Self.environment("b"), now: 110)
        _ = machine.tick(now: 112)
        #expect(machine.tick(now: 121.9) == [])
        #expect(machine.tick(now: 122) == [.signalGroup(pid: 4242, signal: SIGKILL)])
        #expect(machine.deadline == nil, "SIGKILL cannot be ignored: the exit comes")
        #expect(machine.childExited(status: 137, now: 122.01) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: false, now: 122.02) == [.start(Self.environment("b"))])
    }

    @Test("signal mode delivers the signal after the debounce and never restarts")
    func signalMode() {
        var machine = Self.running(Self.policy { $0.onChange = .signal(SIGHUP) })
        _ = machine.rendered(Self.environment("b"), now: 110)
        #expect(machine.tick(now: 112) == [.signalGroup(pid: 4242, signal: SIGHUP)])
        #expect(machine.groupLeader == 4242)
        // The same values again: already delivered.
        #expect(machine.rendered(Self.environment("b", generation: 9), now: 113) == [])
        #expect(machine.deadline == nil)
    }

    @Test("none mode says so once and keeps the child")
    func noneMode() {
        var machine = Self.running(Self.policy { $0.onChange = .none })
        #expect(machine.rendered(Self.environment("b"), now: 110) == [.changeIgnored])
        #expect(machine.rendered(Self.environment("c"), now: 111) == [])
        #expect(machine.deadline == nil, "nothing to wake up for")
        #expect(machine.tick(now: 200) == [])
        #expect(machine.groupLeader == 4242)
    }

    @Test("forwarded signals go to the group; SIGTERM stops the child, then providerd with the child's status")
    func forwarding() {
        var machine = Self.running()
        for signal in [SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH] {
            #expect(machine.signalReceived(signal, now: 101) == [.signalGroup(pid: 4242, signal: signal)])
        }
        #expect(machine.signalReceived(SIGTERM, now: 102) == [.signalGroup(pid: 4242, signal: SIGTERM)])
        #expect(machine.deadline == 112)
        #expect(machine.signalReceived(SIGINT, now: 103) == [.signalGroup(pid: 4242, signal: SIGINT)], "a second Ctrl-C reaches it too")
        #expect(machine.childExited(status: 0, now: 104) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: false, now: 104) == [.exit(0)])
    }

    @Test("a stop during a restart's stop ends providerd instead of starting a new child")
    func stopDuringRestart() {
        var machine = Self.running()
        _ = machine.rendered(Self.environment("b"), now: 110)
        _ = machine.tick(now: 112)
        _ = machine.signalReceived(SIGTERM, now: 112.5)
        _ = machine.childExited(status: 143, now: 113)
        #expect(machine.groupChecked(alive: false, now: 113) == [.exit(143)])
    }

    @Test("a stop while the child is spawning is delivered once it has started")
    func stopWhileStarting() {
        var machine = ExecStateMachine(policy: Self.policy())
        _ = machine.rendered(Self.environment("a"), now: 1)
        #expect(machine.signalReceived(SIGTERM, now: 1.01) == [])
        #expect(machine.started(pid: 99, now: 1.02) == [.signalGroup(pid: 99, signal: SIGTERM)])
    }

    @Test("a change while spawning is a change for the started child")
    func changeWhileStarting() {
        var machine = ExecStateMachine(policy: Self.policy())
        _ = machine.rendered(Self.environment("a"), now: 1)
        _ = machine.rendered(Self.environment("b"), now: 1.01)
        #expect(machine.started(pid: 99, now: 1.02) == [.changeDeferred(until: 6.02)])
    }

    @Test("the child's own exit ends providerd with its status, after what it left in its group is stopped")
    func exitWithChild() {
        var machine = Self.running()
        #expect(machine.childExited(status: 3, now: 200) == [.checkGroup(pid: 4242)])
        #expect(machine.groupChecked(alive: true, now: 200) == [.signalGroup(pid: 4242, signal: SIGTERM)])
        _ = machine.tick(now: 200.05)
        #expect(machine.groupChecked(alive: false, now: 200.05) == [.exit(3)])
        var killed = Self.running()
        _ = killed.childExited(status: 139, now: 200)
        #expect(killed.groupChecked(alive: false, now: 200) == [.exit(139)], "SIGSEGV: 128 + 11")
    }

    @Test("--restart-on-exit: a backoff that doubles, and resets after a long run")
    func restartOnExit() {
        var machine = Self.running(Self.policy { $0.restartOnExit = true })
        _ = machine.childExited(status: 1, now: 101)
        #expect(machine.groupChecked(alive: false, now: 101) == [])
        #expect(machine.deadline == 102)
        #expect(machine.tick(now: 102) == [.start(Self.environment("a"))])
        _ = machine.started(pid: 5, now: 102)
        _ = machine.childExited(status: 1, now: 103)
        _ = machine.groupChecked(alive: false, now: 103)
        #expect(machine.deadline == 105, "2 s the second time")
        _ = machine.tick(now: 105)
        _ = machine.started(pid: 6, now: 105)
        _ = machine.childExited(status: 1, now: 500)
        _ = machine.groupChecked(alive: false, now: 500)
        #expect(machine.deadline == 501, "ran longer than the reset: back to 1 s")
        #expect(machine.signalReceived(SIGTERM, now: 500.5) == [.exit(143)], "a stop during the backoff")
    }

    @Test("a program that cannot start ends providerd with 127 (or 126)")
    func startFailure() {
        var machine = ExecStateMachine(policy: Self.policy())
        _ = machine.rendered(Self.environment("a"), now: 1)
        #expect(machine.startFailed(status: 127, now: 1) == [.exit(127)])
    }

    @Test("another part failing stops the child with the stop signal")
    func shutdownRequested() {
        var machine = Self.running(Self.policy { $0.stopSignal = SIGINT })
        #expect(machine.shutdownRequested(now: 150) == [.signalGroup(pid: 4242, signal: SIGINT)])
        _ = machine.childExited(status: 130, now: 151)
        #expect(machine.groupChecked(alive: false, now: 151) == [.exit(130)])
    }
}

extension ExecStateMachineTests {
    @Test("what SIGKILL cannot end (a zombie nobody reaps) is left after one more kill timeout")
    func unkillable() {
        var machine = Self.running()
        _ = machine.signalReceived(SIGTERM, now: 100)
        _ = machine.childExited(status: 143, now: 100.1)
        _ = machine.groupChecked(alive: true, now: 100.1)
        _ = machine.tick(now: 110)
        #expect(machine.groupChecked(alive: true, now: 110) == [.signalGroup(pid: 4242, signal: SIGKILL)])
        _ = machine.tick(now: 119.9)
        #expect(machine.groupChecked(alive: true, now: 119.9) == [])
        _ = machine.tick(now: 120)
        #expect(machine.groupChecked(alive: true, now: 120) == [.groupAbandoned(pid: 4242), .exit(143)])
    }
}

extension ExecStateMachineTests {
    @Test("the same change published again (a poll, a model row's render) does not extend the debounce")
    func republished() {
        var machine = Self.running()
        #expect(machine.rendered(Self.environment("b", generation: 2), now: 110) == [.changeDeferred(until: 112)])
        #expect(machine.rendered(Self.environment("b", generation: 3), now: 111) == [])
        #expect(machine.rendered(Self.environment("b", generation: 4), now: 111.9) == [])
        #expect(machine.deadline == 112)
        #expect(machine.tick(now: 112) == [.signalGroup(pid: 4242, signal: SIGTERM)])
    }
}
