import Logging
import ServiceLifecycle

/// Writes the metrics to `metrics.textfile` every `metrics.interval`, replacing
/// the file atomically (node_exporter's textfile collector reads `*.prom` files
/// from its directory and must never see half of one). Write failures are logged
/// once a minute while they last; the file stays as last written.
package struct MetricsTextfileService: Service, CustomStringConvertible {
    package var description: String { "MetricsTextfileService" }

    let metrics: ProviderdMetrics
    let path: String
    let interval: Double
    let logger: Logger

    package init(metrics: ProviderdMetrics, path: String, interval: Double, logger: Logger) {
        self.metrics = metrics
        self.path = path
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        var failures = RepeatingFailureLog()
        let writer = AtomicFileWriter(mode: 0o644)
        // A write killed before its rename (SIGKILL, a power cut) left its temporary file.
        _ = AtomicFileWriter.removeStaleTemporaries(of: path)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try writer.write(Array(metrics.text().utf8), to: path)
                if let duration = failures.recovered(at: MonotonicSeconds.now()) {
                    logger.notice("metrics written again", metadata: ["file": "\(path)", "after_seconds": "\(Int(duration))"])
                }
            } catch {
                let (log, skipped) = failures.failed(at: MonotonicSeconds.now())
                if log { logger.error("cannot write the metrics file", metadata: ["file": "\(path)", "error": "\(error)", "repeats": "\(skipped)"]) }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(interval * 1000))) }
        }
    }
}
