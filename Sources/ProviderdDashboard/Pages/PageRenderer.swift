import HTTPTypes
import Hummingbird
import Mustache

/// Turns a page's view (a value type) into HTML with the templates of
/// `dashboard/templates`. Mustache escapes every `{{value}}` for HTML, quotes
/// included, so a service or key name is text wherever it appears. The one
/// triple brace is the usage table's body (`UsagePage.rows`: dates and amounts,
/// escaped by `HTMLText`); `PageRendererTests` holds the templates to that.
package struct PageRenderer: Sendable {
    let library: MustacheLibrary
    package let assets: DashboardAssets

    /// Only this host's own files: no inline script or style, no other origin.
    /// Forms post only here; nothing may frame a page.
    package static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    package init(assets: DashboardAssets) throws {
        var library = MustacheLibrary()
        for (name, text) in assets.templates { try library.register(text, named: name) }
        self.library = library
        self.assets = assets
    }

    /// The template's HTML for `view`.
    package func html(_ view: Any, template: String) -> String {
        library.render(view, withTemplate: template) ?? "<!doctype html><title>providerd</title><p>The page template \(template) is missing.</p>"
    }

    package func response(_ view: Any, template: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: Self.pageHeaders,
            body: ResponseBody(byteBuffer: ByteBuffer(string: html(view, template: template))))
    }

    /// `Referrer-Policy: same-origin`, not the API's `no-referrer`: under
    /// `no-referrer` a browser sends `Origin: null` with a form's POST, and the
    /// cross-site check could not tell this site's forms from another's. Other
    /// sites still get no referrer.
    static let pageHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8", HTTPField.Name("Content-Security-Policy")!: contentSecurityPolicy,
        HTTPField.Name("Referrer-Policy")!: "same-origin",
    ]

    /// 303 See Other: after a form is handled, the browser fetches `location`,
    /// so reloading the page does not send the form again.
    package static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }
}
