import HTTPTypes
import Hummingbird
import ProviderdCore

/// The pages' half of the access checks (`AccessMiddleware` keeps `/api/`):
/// - `/static/` is open: it holds no data;
/// - `/login` is open; its POST gets the cross-site check, so no other site can
///   log a browser in;
/// - every other page needs the session cookie; without one the browser is sent
///   to the login page;
/// - a POST must come from this site (`Sec-Fetch-Site`, `Origin`) and carry the
///   session's CSRF token in its `csrf_token` field; a write needs the admin role
///   and `dashboard.allow_writes` (logging out does not).
/// A page's failure is answered as a page (`ErrorPage`), never as the API's JSON.
package struct PageAccessMiddleware: RouterMiddleware {
    package typealias Context = DashboardRequestContext

    let access: AccessMiddleware
    let renderer: PageRenderer

    package init(access: AccessMiddleware, renderer: PageRenderer) {
        self.access = access
        self.renderer = renderer
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/static/") { return try await next(request, context) }
        var caller: DashboardCaller?
        do {
            if path == "/login" {
                if request.method == .post { try access.refuseCrossSite(request) }
                return try await DashboardCaller.$client.withValue(context.client) { try await next(request, context) }
            }
            caller = try? await access.cookieCaller(request, client: context.client)
            guard let caller else {
                if request.method == .get || request.method == .head { return PageRenderer.redirect(LoginPage.location(returningTo: path)) }
                throw APIError(.unauthorized, "unauthorized", "your session has ended; log in again")
            }
            if request.method == .post {
                try access.refuseCrossSite(request)
                let form = try await PageForm(request)
                guard case .cookie(_, let session) = caller.credential,
                    OpenSSL.constantTimeEqual(Array((form["csrf_token"] ?? "").utf8)[...], Array(session.csrfToken.utf8)[...])
                else {
                    throw APIError(.forbidden, "csrf", "this form is out of date (it does not carry this session's token); reload the page and send it again")
                }
                if path != "/logout" && !caller.writesAllowed {
                    throw APIError(.forbidden, "read_only", PageFrame.readOnlyReason(for: caller) ?? "read-only")
                }
            }
            return try await DashboardCaller.$current.withValue(caller) { try await next(request, context) }
        } catch {
            let failure = APIErrorMiddleware<Context>.apiError(for: error, logger: context.logger)
            return renderer.response(ErrorPage(failure, caller: caller, assetVersion: renderer.assets.version), template: "error", status: failure.status)
        }
    }
}
