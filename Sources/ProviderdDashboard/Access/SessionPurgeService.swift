import Logging
import ProviderdCore
import ServiceLifecycle

/// Deletes expired sessions every 10 minutes (login also purges), so the table
/// holds only live sessions however long the dashboard runs.
struct SessionPurgeService: Service {
    let database: DashboardDatabase
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let removed = try await database.withConnection { try SessionStore(connection: $0).purgeExpired() }
                if removed > 0 { logger.debug("removed expired dashboard sessions", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.debug("session purge failed; next try in 10 minutes", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(600)) }
        }
    }
}
