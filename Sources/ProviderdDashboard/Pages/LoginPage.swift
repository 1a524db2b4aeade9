import HTTPTypes
import Hummingbird
import ProviderdAPI
import ProviderdCore

/// The token form. A login goes through the API's own handler (the same token
/// check, rate limit and fresh session), which leaves the cookie for the answer.
struct LoginPage: Sendable {
    var title = "Log in"
    var error: String?
    var next: String
    var assetVersion: String

    /// Where the login page sends the browser back to: a page of this
    /// dashboard only, never another host (no open redirect).
    static func location(returningTo path: String) -> String {
        path == "/" || !PageFrame.pages.contains(where: { $0.path == path }) ? "/login" : "/login?next=\(path.dropFirst())"
    }

    static func destination(_ next: String?) -> String {
        guard let next, let page = PageFrame.pages.first(where: { $0.path == "/" + next }) else { return "/" }
        return page.path
    }
}

extension DashboardPages {
    func loginForm(_ request: Request) -> Response {
        let next = request.uri.queryParameters.get("next") ?? ""
        return renderer.response(
            LoginPage(next: String(LoginPage.destination(next).dropFirst()), assetVersion: renderer.assets.version), template: "login")
    }

    func login(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let next = LoginPage.destination(form["next"])
        let cookie = SessionCookie()
        do {
            _ = try await SessionCookie.$current.withValue(cookie) {
                try await api.login(.init(body: .json(.init(token: form["token"] ?? ""))))
            }
        } catch {
            let failure = failure(error)
            let message =
                switch failure.status {
                case .unauthorized: "That token is not one of this dashboard's tokens."
                case .tooManyRequests: "Too many failed logins from this address: try again in \(failure.retryAfter ?? 1) s."
                default: failure.message
                }
            var response = renderer.response(
                LoginPage(error: message, next: String(next.dropFirst()), assetVersion: renderer.assets.version), template: "login",
                status: .ok)
            if let retryAfter = failure.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
        var response = PageRenderer.redirect(next)
        if let header = cookie.header { response.headers.append(HTTPField(name: .setCookie, value: header)) }
        return response
    }

    func logout() async throws -> Response {
        let cookie = SessionCookie()
        _ = try await SessionCookie.$current.withValue(cookie) { try await api.logout(.init()) }
        var response = PageRenderer.redirect("/login")
        if let header = cookie.header { response.headers.append(HTTPField(name: .setCookie, value: header)) }
        return response
    }
}
