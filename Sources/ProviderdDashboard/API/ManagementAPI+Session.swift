import HTTPTypes
import Hummingbird
import Logging
import ProviderdAPI
import ProviderdCore

extension ManagementAPI {
    /// Login: the token against the token files, a fresh session (never one the
    /// client names: no fixation), and the id in an HttpOnly, SameSite=Strict
    /// cookie. Failures count toward the client's rate limit.
    package func login(_ input: Operations.login.Input) async throws -> Operations.login.Output {
        let client = DashboardCaller.client
        if let wait = throttle.retryAfter(client: client) { throw AccessMiddleware.rateLimited(wait) }
        guard case .json(let body) = input.body, let match = tokens.match(body.token) else {
            throttle.recordFailure(client: client)
            logger.notice("dashboard login refused: wrong token", metadata: ["client": "\(client)"])
            throw APIError(.unauthorized, "unauthorized", "that token is not one of the dashboard's tokens")
        }
        let ttl = settings.dashboard.sessionTTL
        let (id, session) = try await database.withConnection { connection in
            let store = SessionStore(connection: connection)
            try store.purgeExpired()
            return try store.create(for: match, ttl: ttl)
        }
        logger.notice(
            "dashboard login", metadata: ["user": "\(match.user)", "role": "\(match.role.rawValue)", "token": "\(match.fingerprint)", "client": "\(client)"])
        SessionCookie.current?.set(id: id, ttl: ttl, secure: settings.dashboard.secureCookies)
        return .ok(
            .init(
                body: .json(
                    .init(
                        user: session.user, role: .init(rawValue: session.role.rawValue) ?? .viewer,
                        writes_allowed: session.role == .admin && settings.dashboard.allowWrites, csrf_token: session.csrfToken,
                        expires_at: session.expiresAt, auth: .cookie))))
    }

    package func getSession(_ input: Operations.getSession.Input) async throws -> Operations.getSession.Output {
        let caller = try caller
        var body = Components.Schemas.Session(
            user: caller.user, role: .init(rawValue: caller.role.rawValue) ?? .viewer, writes_allowed: caller.writesAllowed, auth: .bearer)
        if case .cookie(_, let session) = caller.credential {
            body.auth = .cookie
            body.csrf_token = session.csrfToken
            body.expires_at = session.expiresAt
        }
        return .ok(.init(body: .json(body)))
    }

    /// Logout: the session's row is deleted, so the id is dead even if copied.
    package func logout(_ input: Operations.logout.Input) async throws -> Operations.logout.Output {
        let caller = try caller
        if case .cookie(let id, _) = caller.credential {
            try await database.withConnection { try SessionStore(connection: $0).delete(id: id) }
            SessionCookie.current?.clear(secure: settings.dashboard.secureCookies)
            logger.notice("dashboard logout", metadata: ["user": "\(caller.user)"])
        }
        return .noContent(.init())
    }
}
