import ProviderdCore

/// Rate limit on failed logins (a wrong token at `POST /session`, or a wrong
/// Bearer token anywhere), as a token bucket per client address plus one for all
/// clients together. A client out of attempts is refused without its token being
/// checked, right or wrong, until the bucket refills: a guesser learns nothing
/// from a refused attempt, and a flood costs one comparison per refill.
///
/// A value type driven by the caller's clock, tested without a server; the
/// server keeps one behind a lock (`LoginThrottleBoard`).
package struct LoginThrottle: Sendable {
    package struct Limits: Sendable, Equatable {
        /// Failures a client may make at once.
        package var burst: Double = 10
        /// Seconds for one more failure to be allowed.
        package var refillSeconds: Double = 6
        /// Failures all clients together may make at once, then per `globalRefillSeconds`.
        package var globalBurst: Double = 100
        package var globalRefillSeconds: Double = 1
        /// Clients remembered; the fullest buckets are dropped first.
        package var maxClients = 10_000

        package init() {}
    }

    private struct Bucket {
        var level: Double
        var updated: Double
    }

    package let limits: Limits
    private var clients: [String: Bucket] = [:]
    private var global: Bucket

    package init(limits: Limits = Limits(), now: Double) {
        self.limits = limits
        self.global = Bucket(level: limits.globalBurst, updated: now)
    }

    /// Seconds until `client` may try again; nil when it may try now.
    package mutating func retryAfter(client: String, now: Double) -> Double? {
        refill(now: now)
        let level = clients[client].map { refilled($0, now: now, burst: limits.burst, every: limits.refillSeconds).level } ?? limits.burst
        if level < 1 { return (1 - level) * limits.refillSeconds }
        if global.level < 1 { return (1 - global.level) * limits.globalRefillSeconds }
        return nil
    }

    /// A failed attempt by `client`.
    package mutating func recordFailure(client: String, now: Double) {
        refill(now: now)
        var bucket =
            clients[client].map { refilled($0, now: now, burst: limits.burst, every: limits.refillSeconds) }
            ?? Bucket(level: limits.burst, updated: now)
        bucket.level = max(0, bucket.level - 1)
        clients[client] = bucket
        global.level = max(0, global.level - 1)
        if clients.count > limits.maxClients { forgetFullest(now: now) }
    }

    /// Clients with a bucket not yet full.
    package var trackedClients: Int { clients.count }

    private mutating func refill(now: Double) {
        global = refilled(global, now: now, burst: limits.globalBurst, every: limits.globalRefillSeconds)
    }

    private func refilled(_ bucket: Bucket, now: Double, burst: Double, every seconds: Double) -> Bucket {
        let elapsed = max(0, now - bucket.updated)
        return Bucket(level: min(burst, bucket.level + elapsed / seconds), updated: now)
    }

    /// Drops the buckets that have refilled, then the fullest, down to 90% of the cap.
    private mutating func forgetFullest(now: Double) {
        let levels = clients.mapValues { refilled($0, now: now, burst: limits.burst, every: limits.refillSeconds).level }
        for (client, level) in levels where level >= limits.burst { clients[client] = nil }
        guard clients.count > limits.maxClients else { return }
        let keep = limits.maxClients * 9 / 10
        for (client, _) in levels.filter({ clients[$0.key] != nil }).sorted(by: { $0.value > $1.value }).prefix(clients.count - keep) {
            clients[client] = nil
        }
    }
}
