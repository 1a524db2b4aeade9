import Hummingbird
import Logging
import ProviderdCore

/// Refuses a request whose `Host` is not in `dashboard.allowed_hosts` before it is
/// routed: 421 Misdirected Request. A page on another name that resolves to
/// this address (DNS rebinding) never reaches the API.
package struct HostCheckMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowList: HostAllowList

    package init(allowList: HostAllowList) {
        self.allowList = allowList
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // HTTP/1.1 carries the name in Host; HTTP/2 and absolute-form requests in the authority.
        let host = request.head.authority
        guard allowList.allows(host) else {
            context.logger.notice("refused a request for a host not in dashboard.allowed_hosts", metadata: ["host": "\((host ?? "-").prefix(100))"])
            throw APIError(
                .misdirectedRequest, "host_not_allowed", "this server does not answer for that Host; add it to dashboard.allowed_hosts if it is yours")
        }
        return try await next(request, context)
    }
}
