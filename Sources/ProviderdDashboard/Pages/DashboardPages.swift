import HTTPTypes
import Hummingbird
import Logging
import ProviderdAPI
import ProviderdCore

/// The dashboard's pages, server-rendered from `dashboard/templates`: each reads
/// and writes through `ManagementAPI`'s own handlers, so a page shows exactly
/// what the API answers and refuses exactly what it refuses. One file per page
/// (`OverviewPage.swift`, `UsagePage.swift`, ...), each a view built by a pure
/// function and a handler here. `PageAccessMiddleware` has already checked the
/// caller, the CSRF token and the write permission.
///
/// A refused form comes back as its page with the errors, answered 200: a
/// browser logs every 4xx document as a console error, and the page already says
/// what is wrong. Scripts use the API, whose statuses say it.
package struct DashboardPages: Sendable {
    let api: ManagementAPI
    let renderer: PageRenderer
    let logger: Logger

    package init(api: ManagementAPI, renderer: PageRenderer, logger: Logger) {
        self.api = api
        self.renderer = renderer
        self.logger = logger
    }

    package func register(on router: Router<DashboardRequestContext>) {
        router.get("/static/:name") { request, context in try staticFile(request, context: context) }
        router.get("/login") { request, _ in loginForm(request) }
        router.post("/login") { request, _ in try await login(request) }
        router.post("/logout") { _, _ in try await logout() }
        router.get("/") { request, _ in try await overview(request) }
        router.get("/usage") { request, _ in try await usage(request) }
        router.get("/models") { request, _ in try await models(request) }
        router.post("/models") { request, _ in try await setModel(request) }
        router.post("/models/bulk") { request, _ in try await bulkUpdate(request) }
        router.get("/providers") { request, _ in try await providers(request) }
        router.post("/providers") { request, _ in try await setKey(request) }
        router.post("/providers/rotate") { request, _ in try await rotateKey(request) }
        router.post("/providers/deactivate") { request, _ in try await deactivateKey(request) }
        router.get("/budgets") { request, _ in try await budgets(request) }
        router.post("/budgets") { request, _ in try await setBudget(request) }
        router.post("/budgets/delete") { request, _ in try await deleteBudget(request) }
        router.get("/recommendations") { request, _ in try await recommendations(request) }
    }

    /// The frame of the page at `path`, for the caller `PageAccessMiddleware` checked.
    func frame(_ title: String, path: String) throws -> PageFrame {
        guard let caller = DashboardCaller.current else { throw APIError.unauthorized }
        return PageFrame(title: title, path: path, caller: caller, assetVersion: renderer.assets.version)
    }

    /// `/static/NAME`: a versioned link (`?v=` the current version) may be kept a
    /// year; any other is checked again each time. Gzipped when the browser
    /// accepts it (`Vary` says so to caches).
    func staticFile(_ request: Request, context: DashboardRequestContext) throws -> Response {
        guard let name = context.parameters.get("name"), let file = renderer.assets.files[name] else {
            throw APIError(.notFound, "not_found", "no such file")
        }
        let current = request.uri.queryParameters.get("v") == renderer.assets.version
        var headers: HTTPFields = [
            .contentType: file.contentType, .cacheControl: current ? "public, max-age=31536000, immutable" : "no-cache", .vary: "Accept-Encoding",
        ]
        let accepts = request.headers[values: .acceptEncoding].contains { value in
            value.split(separator: ",").contains { $0.split(separator: ";").first?.trimmingWhitespace().lowercased() == "gzip" }
        }
        if accepts, let gzipped = file.gzipped {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: gzipped)))
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// An error a form's handler threw, as the API would have answered it.
    func failure(_ error: any Error) -> APIError {
        APIErrorMiddleware<DashboardRequestContext>.apiError(for: error, logger: logger)
    }
}
