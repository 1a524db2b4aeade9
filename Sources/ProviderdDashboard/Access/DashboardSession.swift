import ProviderdCore

/// A logged-in browser: who, as what, until when, and the CSRF token its writes
/// must carry. Read from `providerd_dashboard_sessions`; the cookie's id is never
/// kept anywhere but the browser.
package struct DashboardSession: Sendable, Equatable {
    package var user: String
    package var role: DashboardRole
    package var tokenFingerprint: String
    package var csrfToken: String
    /// RFC 3339, UTC.
    package var expiresAt: String
}
