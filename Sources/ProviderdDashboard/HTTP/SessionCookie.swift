import Hummingbird
import Synchronization

/// The `Set-Cookie` a login or logout answers with. The generated code would
/// percent-encode a header value it sets, so the handler leaves the cookie here
/// and `AccessMiddleware` writes it onto the response as it is.
package final class SessionCookie: Sendable {
    private let value = Mutex<String?>(nil)

    package init() {}

    /// The session cookie: HttpOnly (no page script reads it), SameSite=Strict (no
    /// other site's request carries it), Secure with `dashboard.secure_cookies`.
    package func set(id: String, ttl: Double, secure: Bool) {
        let cookie = Cookie(
            name: AccessMiddleware.cookieName, value: id, maxAge: Int(ttl), path: "/", secure: secure, httpOnly: true, sameSite: .strict)
        value.withLock { $0 = cookie.description }
    }

    /// Logout: the browser drops the cookie (the session row is already gone).
    package func clear(secure: Bool) {
        let cookie = Cookie(name: AccessMiddleware.cookieName, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
        value.withLock { $0 = cookie.description }
    }

    package var header: String? { value.withLock { $0 } }

    @TaskLocal package static var current: SessionCookie?
}
