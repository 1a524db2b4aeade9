import HTTPTypes
import Hummingbird
import ProviderdCore

/// Who may do what, checked before any handler runs:
/// - a caller is a session cookie (looked up in PostgreSQL) or a Bearer token
///   (compared in constant time); neither is ever read from the URL;
/// - a wrong Bearer token counts as a failed login (`LoginThrottleBoard`);
/// - a request that changes state with a cookie needs the session's CSRF token
///   in `X-CSRF-Token` and must not come from another site (`Sec-Fetch-Site`,
///   `Origin`);
/// - a write needs the admin role and `dashboard.allow_writes`.
/// Login (`POST /api/v1/session`) and the document are open; login still gets
/// the cross-site check, so no other site can log a browser in. Paths outside
/// `/api/` are the pages', checked by `PageAccessMiddleware`.
package struct AccessMiddleware: RouterMiddleware {
    package typealias Context = DashboardRequestContext

    let tokens: TokenRegistry
    let database: DashboardDatabase
    let throttle: LoginThrottleBoard
    let allowWrites: Bool
    let allowList: HostAllowList

    package init(tokens: TokenRegistry, database: DashboardDatabase, throttle: LoginThrottleBoard, allowWrites: Bool, allowList: HostAllowList) {
        self.tokens = tokens
        self.database = database
        self.throttle = throttle
        self.allowWrites = allowWrites
        self.allowList = allowList
    }

    package static let cookieName = "providerd_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/api/") else { return try await next(request, context) }
        let changes = ![.get, .head, .options].contains(request.method)
        if path == "/api/v1/openapi.json" { return try await next(request, context) }
        if path == "/api/v1/session" && request.method == .post {
            try refuseCrossSite(request)
            return try await withSessionCookie {
                try await DashboardCaller.$client.withValue(context.client) { try await next(request, context) }
            }
        }
        let caller = try await authenticate(request, client: context.client)
        if changes {
            if case .cookie(_, let session) = caller.credential {
                try refuseCrossSite(request)
                let sent = request.headers[Self.csrfHeader] ?? ""
                guard OpenSSL.constantTimeEqual(Array(sent.utf8)[...], Array(session.csrfToken.utf8)[...]) else {
                    throw APIError(.forbidden, "csrf", "a write with a session cookie needs the session's csrf_token in the X-CSRF-Token header")
                }
            }
            // Logging out is not a write: a viewer may end its own session.
            let isLogout = path == "/api/v1/session" && request.method == .delete
            if !isLogout && !caller.writesAllowed {
                let why =
                    caller.role != .admin
                    ? "\(caller.user) is a viewer; writes need an admin token (dashboard.token_file)"
                    : "writes are off; set dashboard.allow_writes: true and restart providerd-dashboard"
                throw APIError(.forbidden, "read_only", why)
            }
        }
        // Only the session endpoint sets a cookie (logout clears it).
        guard path == "/api/v1/session" else {
            return try await DashboardCaller.$current.withValue(caller) { try await next(request, context) }
        }
        return try await withSessionCookie {
            try await DashboardCaller.$current.withValue(caller) { try await next(request, context) }
        }
    }

    /// Runs the handler with a place for the cookie it sets, and writes it onto the response.
    func withSessionCookie(_ body: () async throws -> Response) async throws -> Response {
        let cookie = SessionCookie()
        var response = try await SessionCookie.$current.withValue(cookie) { try await body() }
        if let header = cookie.header { response.headers.append(HTTPField(name: .setCookie, value: header)) }
        return response
    }

    func authenticate(_ request: Request, client: String) async throws -> DashboardCaller {
        if let authorization = request.headers[.authorization] {
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
                throw APIError(.unauthorized, "unauthorized", "Authorization must be 'Bearer TOKEN'")
            }
            if let wait = throttle.retryAfter(client: client) { throw Self.rateLimited(wait) }
            guard let match = tokens.match(String(authorization.dropFirst(7))) else {
                throttle.recordFailure(client: client)
                throw APIError(.unauthorized, "unauthorized", "the Bearer token is not one of the dashboard's tokens")
            }
            return DashboardCaller(
                user: match.user, role: match.role, credential: .bearer, writesAllowed: match.role == .admin && allowWrites, client: client)
        }
        guard let caller = try await cookieCaller(request, client: client) else { throw APIError.unauthorized }
        return caller
    }

    /// The caller a session cookie names; nil without a cookie. A cookie whose
    /// session has ended (logout, expiry, a removed token) is refused.
    package func cookieCaller(_ request: Request, client: String) async throws -> DashboardCaller? {
        guard let id = request.cookies[Self.cookieName]?.value, !id.isEmpty else { return nil }
        guard let session = try await database.withConnection({ try SessionStore(connection: $0).find(id: id) }),
            tokens.contains(fingerprint: session.tokenFingerprint, role: session.role)
        else {
            throw APIError(.unauthorized, "unauthorized", "the session has ended (logged out, expired, or its token was removed); log in again")
        }
        return DashboardCaller(
            user: session.user, role: session.role, credential: .cookie(sessionID: id, session: session),
            writesAllowed: session.role == .admin && allowWrites, client: client)
    }

    /// A browser says where a request comes from: `Sec-Fetch-Site` (every current
    /// browser) and `Origin` (on every POST). Either naming another site is refused.
    package func refuseCrossSite(_ request: Request) throws {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
            throw APIError(.forbidden, "cross_site", "a request from another site may not change anything here")
        }
        if let origin = request.headers[.origin] {
            let host = origin.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first.map(String.init)
            guard origin != "null", allowList.allows(host) else {
                throw APIError(.forbidden, "cross_site", "a request from another origin may not change anything here")
            }
        }
    }

    static func rateLimited(_ wait: Double) -> APIError {
        let seconds = max(1, Int(wait.rounded(.up)))
        return APIError(.tooManyRequests, "rate_limited", "too many failed logins from this client; retry in \(seconds) s", retryAfter: seconds)
    }
}
