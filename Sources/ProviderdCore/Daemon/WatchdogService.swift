import ServiceLifecycle
import Synchronization

/// Progress of the main loop, counted by the loop and read by the watchdog.
public final class ProgressBeacon: Sendable {
    private let counter = Atomic<Int>(0)
    public init() {}
    public func tick() { counter.add(1, ordering: .relaxed) }
    public var value: Int { counter.load(ordering: .relaxed) }
}

/// Sends WATCHDOG=1 at half of `WatchdogSec=`, but only when the main loop has
/// made progress since the last ping: a wedged loop stops the pings and systemd
/// restarts the service.
public struct WatchdogService: Service, CustomStringConvertible {
    public var description: String { "WatchdogService" }

    let beacon: ProgressBeacon
    let notifier: SystemdNotifier
    let interval: Duration

    public init(beacon: ProgressBeacon, notifier: SystemdNotifier, interval: Duration) {
        self.beacon = beacon
        self.notifier = notifier
        self.interval = interval
    }

    public func run() async throws {
        var last = beacon.value
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval / 2) }
            if Task.isShuttingDownGracefully { return }
            let now = beacon.value
            if now != last {
                notifier.watchdog()
                last = now
            }
        }
    }
}
