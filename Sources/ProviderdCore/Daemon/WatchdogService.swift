import NIOCore
import ServiceLifecycle
import Synchronization

/// Sends WATCHDOG=1 at half of `WatchdogSec=`, but only when the main loop has
/// made progress since the last ping: a wedged loop stops the pings and systemd
/// restarts the service.
package struct WatchdogService: Service, CustomStringConvertible {
    package var description: String { "WatchdogService" }

    let beacon: ProgressBeacon
    let notifier: SystemdNotifier
    let interval: Duration

    package init(beacon: ProgressBeacon, notifier: SystemdNotifier, interval: Duration) {
        self.beacon = beacon
        self.notifier = notifier
        self.interval = interval
    }

    package func run() async throws {
        var last = beacon.value
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval / 2) }
            if Task.isShuttingDownGracefully { return }
            let now = beacon.value
            if now != last || beacon.waitingWithinBound {
                notifier.watchdog()
                last = now
            }
        }
    }
}
