import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// `providerd exec`'s main job: runs one child with the rendered values in its
/// environment, and restarts or signals it when they change.
///
/// The decisions are `ExecStateMachine`'s; this actor performs its actions. Every
/// input arrives as an `Event` on one stream, in order: renders (from the render
/// loop or the env file watcher), the child's start and exit (from
/// `ChildLauncher`), forwarded signals, the timer, and a stop of the service
/// group. The loop runs in a task of its own that a cancelled group cannot end:
/// a cancellation becomes a stop event, so the child is always stopped and waited
/// for before this service returns.
///
/// When the child exits by itself, the service returns and the group stops the
/// other parts (a final usage flush); `outcome` holds the status providerd exits
/// with.
package actor ExecSupervisor: Service, CustomStringConvertible {
    package nonisolated var description: String { "ExecSupervisor" }

    package enum Event: Sendable {
        case rendered(ChildEnvironment, managed: Set<String>)
        case refused(ExecError)
        case child(ChildLauncher.Event)
        case signal(Int32)
        case tick
        case shutdown
        case reap
    }

    /// The status providerd exits with, set when the child is done.
    package final class Outcome: Sendable {
        private let value = Mutex<Int32?>(nil)
        package init() {}
        package var status: Int32? { value.withLock { $0 } }
        func set(_ status: Int32) { value.withLock { $0 = $0 ?? status } }
    }

    private var machine: ExecStateMachine
    private let launcher: ChildLauncher
    /// providerd's own environment, which the child's starts from.
    private let base: [String: String]
    /// `PROVIDERD_SOCKET`, `PROVIDERD_MODEL_MAP`: set for the child on top.
    private let extra: [String: String]
    /// Names providerd manages, kept out of what the child inherits from `base`.
    private var managed: Set<String>
    private let logger: Logger
    private let events: AsyncStream<Event>
    private let input: AsyncStream<Event>.Continuation
    private var timer: (deadline: Double, task: Task<Void, Never>)?
    private var lastRefusal: String?
    private var deferring = false
    package let outcome = Outcome()

    package init(policy: ExecPolicy, argv: [String], base: [String: String], extra: [String: String], managed: Set<String>, logger: Logger) {
        self.machine = ExecStateMachine(policy: policy)
        self.launcher = ChildLauncher(argv: argv)
        self.base = base
        self.extra = extra
        self.managed = managed
        self.logger = logger
        (events, input) = AsyncStream.makeStream(of: Event.self)
    }

    /// A new set of values (any thread; returns at once).
    package nonisolated func rendered(_ result: Result<ChildEnvironment, ExecError>, managed: Set<String> = []) {
        switch result {
        case .success(let environment): input.yield(.rendered(environment, managed: managed))
        case .failure(let error): input.yield(.refused(error))
        }
    }

    package func run() async throws {
        let input = self.input
        // Only these; never SIGCHLD (an ignored SIGCHLD would reap the child
        // before swift-subprocess could) nor anything a runtime uses.
        let signals = await UnixSignalsSequence(
            trapping: .sigterm, .sigint, .sighup, .sigquit, .sigusr1, .sigusr2, .sigwinch)
        let forwarder = Task.detached {
            for await signal in signals { input.yield(.signal(signal.rawValue)) }
        }
        // As PID 1, every orphan of the namespace is ours to wait for.
        let reaper =
            OrphanReaper.isInit
            ? Task.detached {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    input.yield(.reap)
                }
            } : nil
        let loop = Task { await self.supervise() }
        await withTaskCancellationOrGracefulShutdownHandler {
            await loop.value
        } onCancelOrGracefulShutdown: {
            input.yield(.shutdown)
        }
        forwarder.cancel()
        reaper?.cancel()
        timer?.task.cancel()
    }

    private func supervise() async {
        for await event in events {
            let now = MonotonicSeconds.now()
            var actions: [ExecStateMachine.Action]
            switch event {
            case .rendered(let environment, let names):
                managed.formUnion(names)
                managed.formUnion(environment.variables.keys)
                if lastRefusal != nil {
                    logger.notice("values accepted again")
                    lastRefusal = nil
                }
                actions = machine.rendered(environment, now: now)
            case .refused(let error):
                if error.message != lastRefusal {
                    logger.error("values refused; the child keeps the environment it has", metadata: ["error": "\(error)"])
                    lastRefusal = error.message
                }
                actions = []
            case .child(.started(let pid)):
                logger.info("child started", metadata: ["pid": "\(pid)", "program": "\(launcher.argv[0])"])
                actions = machine.started(pid: pid, now: now)
            case .child(.exited(let status)):
                logger.info("child exited", metadata: ["status": "\(status)"])
                actions = machine.childExited(status: status, now: now)
            case .child(.failed(let status, let reason)):
                logger.error("cannot start the child", metadata: ["program": "\(launcher.argv[0])", "error": "\(reason)", "status": "\(status)"])
                actions = machine.startFailed(status: status, now: now)
            case .signal(let signal):
                // A terminal's every resize is a SIGWINCH: not worth a line at info.
                logger.log(
                    level: signal == SIGWINCH ? .debug : .info, "signal received; forwarding it to the child's process group",
                    metadata: ["signal": "\(ExecSignal.name(signal))"])
                actions = machine.signalReceived(signal, now: now)
            case .tick:
                timer = nil
                actions = machine.tick(now: now)
            case .shutdown:
                actions = machine.shutdownRequested(now: now)
            case .reap:
                reap()
                actions = []
            }
            perform(actions)
            if machine.isFinished { break }
            schedule()
        }
    }

    private func perform(_ actions: [ExecStateMachine.Action]) {
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case .start(let environment):
                deferring = false
                logger.info(
                    "starting the child",
                    metadata: [
                        "program": "\(launcher.argv[0])", "generation": "\(environment.generation.map(String.init) ?? "none")",
                        "variables": "\(environment.variables.count)", "values": "\(environment.fingerprint)",
                    ])
                let input = self.input
                launcher.launch(environment: environment.merged(into: base, managed: managed, extra: extra)) { input.yield(.child($0)) }
            case .signalGroup(let pid, let signal):
                let delivered = ProcessGroup.signal(pid, signal)
                if signal == SIGKILL {
                    logger.warning("the child's process group outlived the kill timeout; SIGKILL", metadata: ["pgid": "\(pid)"])
                } else {
                    logger.debug("signal sent", metadata: ["pgid": "\(pid)", "signal": "\(ExecSignal.name(signal))", "delivered": "\(delivered)"])
                }
            case .checkGroup(let pid):
                if OrphanReaper.isInit { reap() }
                queue += machine.groupChecked(alive: ProcessGroup.isAlive(pid), now: MonotonicSeconds.now())
            case .changeDeferred(let until):
                if !deferring {
                    deferring = true
                    let wait = max(0, until - MonotonicSeconds.now())
                    logger.info(
                        "the child's values changed; acting on it once they settle",
                        metadata: ["in_seconds": "\(Double(Int(wait * 10)) / 10)", "values": "\(machine.latest?.fingerprint ?? "-")"])
                }
            case .groupAbandoned(let pid):
                logger.error(
                    "processes of the child's group outlived SIGKILL by the kill timeout (stuck in the kernel, or zombies where /proc cannot be read); going on without them",
                    metadata: ["pgid": "\(pid)"])
            case .changeIgnored:
                logger.notice("the child's values changed; --on-change none keeps the ones it started with")
            case .exit(let status):
                outcome.set(status)
            }
        }
        if case .stopping = machine.state { deferring = false }
    }

    private func reap() {
        let reaped = OrphanReaper.reap()
        if !reaped.isEmpty { logger.debug("reaped orphans", metadata: ["pids": "\(reaped.map(String.init).joined(separator: ","))"]) }
    }

    /// One timer, for the machine's next deadline.
    private func schedule() {
        guard let deadline = machine.deadline else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let timer, timer.deadline == deadline { return }
        timer?.task.cancel()
        let input = self.input
        let delay = max(0, deadline - MonotonicSeconds.now())
        timer = (
            deadline,
            Task.detached {
                try? await Task.sleep(for: .milliseconds(Int64(delay * 1000) + 1))
                if !Task.isCancelled { input.yield(.tick) }
            }
        )
    }
}
