import ProviderdCore

/// `providerd_dashboard_sessions` (migration 004). A session id is 256 random
/// bits; the table keys rows by its SHA-256, so reading the table gives no
/// session. Every statement binds its values.
package struct SessionStore {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// A new session for a matched token; returns the id for the cookie. A new id
    /// every login: an id planted before login (fixation) is never adopted.
    package func create(for match: TokenRegistry.Match, ttl: Double) throws -> (id: String, session: DashboardSession) {
        let id = Base64URL.encode(try OpenSSL.randomBytes(32)).filter { $0 != "=" }
        let csrf = Base64URL.encode(try OpenSSL.randomBytes(32)).filter { $0 != "=" }
        let row = try connection.query(
            """
            INSERT INTO public.providerd_dashboard_sessions (id_sha256, user_name, role, token_fingerprint, csrf_token, expires_at)
            VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::float8))
            RETURNING to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires
            """, [Self.digest(id), match.user, match.role.rawValue, match.fingerprint, csrf, ttl]
        ).rows[0]
        let session = DashboardSession(
            user: match.user, role: match.role, tokenFingerprint: match.fingerprint, csrfToken: csrf,
            expiresAt: try row.string("expires"))
        return (id, session)
    }

    /// The live session with this id, or nil (unknown, expired or logged out).
    package func find(id: String) throws -> DashboardSession? {
        guard Self.isWellFormed(id) else { return nil }
        let result = try connection.query(
            """
            SELECT user_name, role, token_fingerprint, csrf_token,
                   to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS expires
            FROM public.providerd_dashboard_sessions WHERE id_sha256 = $1 AND expires_at > now()
            """, [Self.digest(id)])
        guard let row = result.rows.first, let role = DashboardRole(rawValue: try row.string("role")) else { return nil }
        return DashboardSession(
            user: try row.string("user_name"), role: role, tokenFingerprint: try row.string("token_fingerprint"),
            csrfToken: try row.string("csrf_token"), expiresAt: try row.string("expires"))
    }

    /// Logout: the row goes, so the id is worthless even if it was copied.
    package func delete(id: String) throws {
        guard Self.isWellFormed(id) else { return }
        try connection.query("DELETE FROM public.providerd_dashboard_sessions WHERE id_sha256 = $1", [Self.digest(id)])
    }

    /// Removes expired rows; returns how many.
    @discardableResult
    package func purgeExpired() throws -> Int {
        try connection.query("DELETE FROM public.providerd_dashboard_sessions WHERE expires_at <= now()").affectedRows
    }

    /// 43 base64url characters: anything else is not one of ours, and is not looked up.
    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 43 && id.utf8.allSatisfy { Base64URL.isAlphabet($0) }
    }

    static func digest(_ id: String) -> String { Hex.encode(OpenSSL.sha256(Array(id.utf8))) }
}
