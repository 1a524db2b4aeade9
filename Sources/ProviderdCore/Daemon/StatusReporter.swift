import Synchronization

/// The one owner of what systemd is told: the `DaemonStatus` both halves report
/// into (the render loop its generation and database contact, the usage flusher its
/// counters), READY=1, and STATUS= sent only when the line changed.
///
/// A `Mutex` rather than an actor: the flusher and the render loop report from
/// their own isolation without waiting on each other, and each message is built
/// and sent under the lock, so systemd sees the lines in the order they were made.
package final class StatusReporter: Sendable {
    private struct State {
        var status = DaemonStatus()
        var lastSent = ""
        var ready = false
    }

    private let state = Mutex(State())
    private let notifier: SystemdNotifier

    package init(notifier: SystemdNotifier) {
        self.notifier = notifier
    }

    package var status: DaemonStatus { state.withLock { $0.status } }
    package var isReady: Bool { state.withLock { $0.ready } }

    /// Changes the summary; nothing is sent until `sendStatus` or `ready`.
    package func update(_ change: (inout DaemonStatus) -> Void) {
        state.withLock { change(&$0.status) }
    }

    /// STATUS= when the line differs from the last one sent.
    package func sendStatus() {
        state.withLock { state in
            let line = state.status.line
            guard line != state.lastSent else { return }
            state.lastSent = line
            notifier.status(line)
        }
    }

    /// READY=1 with the current line: the first render is done, or a reload is.
    package func ready() {
        state.withLock { state in
            state.ready = true
            state.lastSent = state.status.line
            notifier.ready(status: state.lastSent)
        }
    }

    /// The usage half's summary; sent at once when the daemon is ready (quarantined
    /// records must show in `systemctl status`), else with the first READY.
    package func setUsage(_ text: String) {
        state.withLock { state in
            guard state.status.usage != text else { return }
            state.status.usage = text
            let line = state.status.line
            guard state.ready, line != state.lastSent else { return }
            state.lastSent = line
            notifier.status(line)
        }
    }

    /// Still starting: systemd's start timeout is pushed out by `seconds`.
    package func extendStartTimeout(seconds: Int, status: String) {
        state.withLock { _ in notifier.extendTimeout(seconds: seconds, status: status) }
    }

    package func reloading() {
        state.withLock { _ in notifier.reloading() }
    }

    package func stopping() {
        state.withLock { state in notifier.stopping(status: "stopping; " + state.status.line) }
    }
}
