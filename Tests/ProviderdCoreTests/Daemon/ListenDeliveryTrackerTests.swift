import Testing

@testable import ProviderdCore

@Suite("LISTEN delivery across sessions: what STATUS says and what the log says once")
struct ListenDeliveryTrackerTests {
    let pooled = "postgresql://providerd@pooler:6543/app"
    let direct = "postgresql://providerd@db:5432/app"

    @Test("a first session that cannot be probed assumes delivery, noted once")
    func unprobedFirst() {
        var tracker = ListenDeliveryTracker()
        #expect(tracker.record(.unchecked("too many connections"), target: direct) == .unprobed(reason: "too many connections", assumedDelivering: true))
        #expect(!tracker.pollingOnly)
        #expect(tracker.record(.unchecked("too many connections"), target: direct) == .none)
        #expect(tracker.record(.verified, target: direct) == .none)
        #expect(!tracker.pollingOnly)
    }

    @Test("found silent, then a reconnect that cannot look: still polling only; a probe that comes back ends it")
    func silentThenUnprobed() {
        var tracker = ListenDeliveryTracker()
        #expect(tracker.record(.notDelivered, target: pooled) == .silent)
        #expect(tracker.pollingOnly)
        #expect(tracker.record(.unchecked("too many connections"), target: pooled) == .unprobed(reason: "too many connections", assumedDelivering: false))
        #expect(tracker.pollingOnly)
        #expect(tracker.record(.notDelivered, target: pooled) == .none, "warned once, not at every reconnect")
        #expect(tracker.pollingOnly)
        #expect(tracker.record(.verified, target: pooled) == .deliveringAgain)
        #expect(!tracker.pollingOnly)
        #expect(tracker.record(.verified, target: pooled) == .none)
    }

    @Test("another connection string starts afresh: assumed delivering until probed, warned anew if silent, recovery said")
    func anotherTarget() {
        var tracker = ListenDeliveryTracker()
        #expect(tracker.record(.notDelivered, target: pooled) == .silent)
        #expect(tracker.record(.unchecked("no room"), target: direct) == .unprobed(reason: "no room", assumedDelivering: true))
        #expect(!tracker.pollingOnly)
        #expect(tracker.record(.verified, target: direct) == .deliveringAgain)
        #expect(tracker.record(.notDelivered, target: pooled) == .silent)
        #expect(tracker.pollingOnly)
    }
}
