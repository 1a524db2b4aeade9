import Logging

/// The flusher's row in `providerd_instances` (`InstanceRegistry`): written at each
/// new connection and at most once a minute after, so that the sidecars a
/// database serves, and when each last flushed, can be listed. Best effort: a role
/// without rights on the table never holds usage back; that is logged once.
struct InstanceRegistration {
    let instance: String
    let host: HostIdentity
    private var lastRegistered = -Double.infinity
    private var failing = FailureLatch()
    private var warnedOtherHost: String?
    static let interval = 60.0

    init(instance: String, host: HostIdentity) {
        self.instance = instance
        self.host = host
    }

    /// Whether a refresh is due (`now` on the monotonic clock).
    func isDue(now: Double) -> Bool { now - lastRegistered >= Self.interval }

    mutating func refresh(on connection: PostgresConnection, now: Double, logger: Logger) {
        lastRegistered = now
        do {
            let before = try InstanceRegistry(connection: connection).register(instance: instance, hostname: host.hostname)
            failing.succeeded()
            if let before, before != host.hostname, warnedOtherHost != before {
                warnedOtherHost = before
                logger.warning(
                    "this instance id was last registered by another host: two state directories share it (copied with the same machine id and host name?); counting stays exact, but they show as one sidecar",
                    metadata: ["instance": "\(instance)", "other_host": "\(before)"])
            }
        } catch {
            if failing.failed() {
                logger.notice(
                    "cannot record this sidecar in providerd_instances; usage flushes all the same",
                    metadata: ["error": "\(error)"])
            }
        }
    }
}
