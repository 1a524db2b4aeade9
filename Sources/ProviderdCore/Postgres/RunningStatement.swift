import Synchronization

/// The statement an actor's connection runs now, if any, so that others can end
/// it: a stop (`cancel()`), or a statement past its bound (`abort(ifStill:)`).
/// Once cancelled, `interrupted` stays true until `reset()`, so that work that was
/// between two statements at that moment starts no new one.
///
/// Ending is `PostgresCanceller.abort()`: bounded even against a frozen server.
final class RunningStatement: Sendable {
    private let state = Mutex<(canceller: PostgresCanceller?, interrupted: Bool, sequence: UInt64)>((nil, false, 0))

    /// Sets the statement's cancel handle (nil: none runs); returns false when a
    /// cancel came first.
    @discardableResult
    func set(_ canceller: PostgresCanceller?) -> Bool {
        state.withLock { state in
            state.canceller = canceller
            state.sequence &+= 1
            return !state.interrupted
        }
    }

    /// Which statement runs now: `abort(ifStill:)` ends it only if it is still the same one.
    var sequence: UInt64 { state.withLock { $0.sequence } }

    func cancel() {
        state.withLock { state in
            state.interrupted = true
            return state.canceller
        }?.abort()
    }

    /// Ends the statement `sequence` names, if it still runs (a deadline passed).
    func abort(ifStill sequence: UInt64) {
        state.withLock { state in state.sequence == sequence ? state.canceller : nil }?.abort()
    }

    func reset() {
        state.withLock { $0.interrupted = false }
    }
}
