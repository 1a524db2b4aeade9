/// What the daemon believes about LISTEN delivery across its database sessions,
/// and what to tell the operator about it: a plain value, so that its rules are
/// tested without a pooler.
///
/// Each session's probe gives a verdict (`DatabaseSession.ListenDelivery`). A
/// session that could not be probed (no room for the probe's sender: a role or
/// pooler at its connection limit) says nothing new, so the last probed verdict
/// for the same LISTEN connection stands: a daemon found to be behind a
/// transaction pooler keeps saying "polling only" after a reconnect that could not
/// look. Only a first session, or one to another connection string (a reload
/// changed `database.url` or `database.listen_url`), assumes delivery.
struct ListenDeliveryTracker {
    /// What the log should say about a session; each is said once per change.
    enum Note: Equatable {
        case none
        /// Not probed; `assumedDelivering` is what STATUS goes by meanwhile.
        case unprobed(reason: String, assumedDelivering: Bool)
        /// A probe got nothing back: changes are seen at the next poll only.
        case silent
        /// A probe came back after an earlier one did not.
        case deliveringAgain
    }

    /// True while the last probed session of this connection got no notification.
    private(set) var pollingOnly = false
    /// The operator was told "polling only" and not yet that it works again
    /// (on any connection string: a reload to a direct one is said to have mended it).
    private var silenceAnnounced = false
    private var notedUnprobed = false
    /// The LISTEN connection string the verdict was found on, hashed: it may hold
    /// a password, and it is only compared.
    private var target: Int?

    /// Takes a new session's verdict for the LISTEN connection `target`.
    mutating func record(_ delivery: DatabaseSession.ListenDelivery, target: String) -> Note {
        if target.hashValue != self.target {
            self.target = target.hashValue
            pollingOnly = false
            notedUnprobed = false
        }
        if case .unchecked(let reason) = delivery {
            guard !notedUnprobed else { return .none }
            notedUnprobed = true
            return .unprobed(reason: reason, assumedDelivering: !pollingOnly)
        }
        notedUnprobed = false
        let wasPollingOnly = pollingOnly
        pollingOnly = delivery != .verified
        if pollingOnly {
            // Warned once per connection string, not at every reconnect.
            guard !wasPollingOnly else { return .none }
            silenceAnnounced = true
            return .silent
        }
        guard silenceAnnounced else { return .none }
        silenceAnnounced = false
        return .deliveringAgain
    }
}
