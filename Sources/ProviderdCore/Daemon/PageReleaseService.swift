import Logging
import NIOPosix
import ServiceLifecycle

/// Gives back the pages start-up touched once the daemon is running, then again
/// every `interval`, so that an idle sidecar's resident size is its working set
/// (`ResidentPageRelease` says which pages and why that is safe).
///
/// The first release waits for READY and then `settle`: the first flush (which
/// loads the built-in price table) and the first poll have run by then, so their
/// one-off pages go too. Later releases undo what a burst of usage mapped; a busy
/// daemon pays a few thousand minor faults per interval to map its code again.
package struct PageReleaseService: Service, CustomStringConvertible {
    package var description: String { "PageReleaseService" }

    let reporter: StatusReporter
    let settle: Duration
    let interval: Duration
    let logger: Logger

    package init(reporter: StatusReporter, settle: Duration = .seconds(10), interval: Duration = .seconds(300), logger: Logger) {
        self.reporter = reporter
        self.settle = settle
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !reporter.isReady {
            guard await pause(.milliseconds(200)) else { return }
        }
        guard await pause(settle) else { return }
        await release(first: true)
        while await pause(interval) {
            await release(first: false)
        }
    }

    /// False when the group is stopping.
    private func pause(_ duration: Duration) async -> Bool {
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: duration) }
        return !Task.isShuttingDownGracefully && !Task.isCancelled
    }

    private func release(first: Bool) async {
        let started = ContinuousClock.now
        do {
            // Tens of milliseconds of /proc reads and madvise calls: on NIO's blocking
            // pool, not on one of the few cooperative threads the daemon's actors share.
            let outcome = try await NIOThreadPool.singleton.runIfActive { try ResidentPageRelease.run() }
            let took = ContinuousClock.now - started
            logger.log(
                level: first ? .info : .debug, first ? "released start-up pages" : "released resident pages",
                metadata: [
                    "rss_before_kib": "\(outcome.residentBeforeKB)", "rss_after_kib": "\(outcome.residentAfterKB)",
                    "ranges": "\(outcome.ranges)", "refused": "\(outcome.refused)",
                    "took_ms": "\(Double(took.components.seconds * 1_000_000 + took.components.attoseconds / 1_000_000_000_000) / 1_000)",
                ])
        } catch {
            // Memory use only: the daemon runs the same without it.
            logger.debug("page release skipped", metadata: ["error": "\(error)"])
        }
    }
}
