/// What every page around its content shows: the title, the navigation with the
/// current page marked, who is logged in, the logout form's CSRF token, and the
/// notice or error of the last action. The layout template renders it.
package struct PageFrame: Sendable {
    package struct NavItem: Sendable {
        var href: String
        var label: String
        var current: Bool
    }

    /// The pages, in the navigation's order.
    package static let pages: [(path: String, label: String)] = [
        ("/", "Overview"), ("/usage", "Usage"), ("/models", "Models"), ("/providers", "Providers"), ("/budgets", "Budgets"),
        ("/recommendations", "Recommendations"),
    ]

    var title: String
    var nav: [NavItem]
    var user: String
    var role: String
    var csrf: String
    var writesAllowed: Bool
    /// Why forms that change something are not shown, when they are not.
    var readOnly: String?
    var notice: String?
    var error: String?
    var assetVersion: String

    package init(title: String, path: String, caller: DashboardCaller, assetVersion: String) {
        self.title = title
        nav = Self.pages.map { NavItem(href: $0.path, label: $0.label, current: $0.path == path) }
        user = caller.user
        role = caller.role.rawValue
        if case .cookie(_, let session) = caller.credential { csrf = session.csrfToken } else { csrf = "" }
        writesAllowed = caller.writesAllowed
        readOnly = Self.readOnlyReason(for: caller)
        self.assetVersion = assetVersion
    }

    /// Why `caller` may change nothing; nil when it may.
    package static func readOnlyReason(for caller: DashboardCaller) -> String? {
        if caller.writesAllowed { return nil }
        return caller.role == .admin
            ? "writes are off (dashboard.allow_writes: false), so nothing can be changed here"
            : "\(caller.user) is a viewer; changes need an admin token"
    }
}
