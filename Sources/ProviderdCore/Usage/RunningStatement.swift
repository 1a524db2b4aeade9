import Synchronization

/// The cancel handle of the statement the flusher runs now, if any; a stop or a
/// timeout calls `cancel()` from outside the flusher actor.
/// Once cancelled, `interrupted` stays true until `reset()`, so that a flush that
/// was between two statements at that moment starts no new one.
final class RunningStatement: Sendable {
    private let state = Mutex<(canceller: PostgresCanceller?, interrupted: Bool)>((nil, false))

    /// Sets the statement's cancel handle; returns false when a cancel came first.
    @discardableResult
    func set(_ canceller: PostgresCanceller?) -> Bool {
        state.withLock { state in
            state.canceller = canceller
            return !state.interrupted
        }
    }

    func cancel() {
        state.withLock { state in
            state.interrupted = true
            return state.canceller
        }?.cancel()
    }

    func reset() {
        state.withLock { $0.interrupted = false }
    }
}
