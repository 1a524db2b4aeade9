import Testing

@testable import ProviderdDashboard

@Suite("Failed-login rate limit")
struct LoginThrottleTests {
    @Test("a client gets its burst of failures, then waits; the wait shrinks as the bucket refills")
    func burstThenWait() {
        var throttle = LoginThrottle(now: 0)
        for _ in 0..<10 {
            #expect(throttle.retryAfter(client: "10.0.0.1", now: 0) == nil)
            throttle.recordFailure(client: "10.0.0.1", now: 0)
        }
        #expect(throttle.retryAfter(client: "10.0.0.1", now: 0) == 6)
        #expect(throttle.retryAfter(client: "10.0.0.1", now: 3) == 3)
        #expect(throttle.retryAfter(client: "10.0.0.1", now: 6) == nil, "one more attempt after one refill period")
        throttle.recordFailure(client: "10.0.0.1", now: 6)
        #expect(throttle.retryAfter(client: "10.0.0.1", now: 6) != nil)
        #expect(throttle.retryAfter(client: "10.0.0.2", now: 6) == nil, "another client is not held back by the first")
    }

    @Test("many clients together hit the global limit: a botnet does not get 10 guesses per address")
    func globalLimit() {
        var limits = LoginThrottle.Limits()
        limits.globalBurst = 20
        var throttle = LoginThrottle(limits: limits, now: 0)
        for client in 0..<20 { throttle.recordFailure(client: "c\(client)", now: 0) }
        #expect(throttle.retryAfter(client: "fresh", now: 0) == 1)
        #expect(throttle.retryAfter(client: "fresh", now: 1) == nil)
    }

    @Test("the client table stays bounded under a flood of addresses")
    func boundedClients() {
        var limits = LoginThrottle.Limits()
        limits.maxClients = 100
        limits.globalBurst = 1_000_000
        var throttle = LoginThrottle(limits: limits, now: 0)
        for client in 0..<1_000 { throttle.recordFailure(client: "c\(client)", now: 0) }
        #expect(throttle.trackedClients <= 100)
    }
}
