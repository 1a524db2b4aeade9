import ProviderdCore
import Synchronization

/// The server's one `LoginThrottle`, behind a lock: requests on every event loop
/// consult it. Holds no I/O; each call is a few dictionary operations.
package final class LoginThrottleBoard: Sendable {
    private let state: Mutex<LoginThrottle>

    package init(limits: LoginThrottle.Limits = LoginThrottle.Limits()) {
        state = Mutex(LoginThrottle(limits: limits, now: MonotonicSeconds.now()))
    }

    package func retryAfter(client: String) -> Double? {
        state.withLock { $0.retryAfter(client: client, now: MonotonicSeconds.now()) }
    }

    package func recordFailure(client: String) {
        state.withLock { $0.recordFailure(client: client, now: MonotonicSeconds.now()) }
    }
}
