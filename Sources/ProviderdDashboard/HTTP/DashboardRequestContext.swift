import Hummingbird
import NIOCore
import ProviderdCore

/// Hummingbird's request context plus who is asking from where: the client's
/// address keys the login rate limit.
package struct DashboardRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// `ip` for TCP clients; `unix` behind a reverse proxy (one client: the proxy).
    package let client: String

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        client = source.channel.remoteAddress?.ipAddress ?? "unix"
    }
}
