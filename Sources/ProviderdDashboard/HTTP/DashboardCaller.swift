import ProviderdCore

/// Who a request comes from, once `AccessMiddleware` has checked it, handed to
/// the generated API's handlers through a task-local (the generated protocol
/// passes only the operation's input).
package struct DashboardCaller: Sendable, Equatable {
    package enum Credential: Sendable, Equatable {
        /// A browser session; the id is the cookie's (for logout).
        case cookie(sessionID: String, session: DashboardSession)
        case bearer
    }

    package var user: String
    package var role: DashboardRole
    package var credential: Credential
    /// Whether this caller's writes are allowed (admin, and `dashboard.allow_writes`).
    package var writesAllowed: Bool
    /// The client's address (`unix` behind a proxy), for the login rate limit.
    package var client: String

    /// Set for the duration of one request.
    @TaskLocal package static var current: DashboardCaller?

    /// The client of a request not logged in yet (login).
    @TaskLocal package static var client: String = "unknown"
}
