import HTTPTypes

/// A failed page request as a page: what went wrong and what to do, with the
/// navigation when someone is logged in.
struct ErrorPage: Sendable {
    var frame: PageFrame?
    var title: String
    var message: String
    var loginLink: Bool

    init(_ failure: APIError, caller: DashboardCaller?, assetVersion: String) {
        let title: String =
            switch failure.status.code {
            case 401: "Logged out"
            case 403: "Refused"
            case 404: "Not found"
            case 413: "Too large"
            case 503: "Unavailable"
            default: failure.status.code >= 500 ? "Something failed" : "Not accepted"
            }
        frame = caller.map { PageFrame(title: title, path: "", caller: $0, assetVersion: assetVersion) }
        self.title = title
        message =
            failure.status == .notFound && failure.code == "not_found" && failure.message.hasPrefix("no such endpoint")
            ? "There is no such page." : failure.message
        loginLink = failure.status.code == 401
    }
}
