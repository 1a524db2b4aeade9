import HTTPTypes
import Hummingbird
import ProviderdAPI
import ProviderdCore

/// The provider keys as `keys list` shows them: active, fingerprint, key id,
/// base URL, header names, updated. A key is typed into a password field, goes
/// to the API's handler (which encrypts it) and is never shown again: a refused
/// form comes back without it.
struct ProvidersPage: Sendable {
    struct Row: Sendable {
        var provider: String
        var active: Bool
        var fingerprint: String
        var keyID: String
        var baseURL: String
        /// The header names, nil when there are none.
        var headers: String?
        var updated: String
        /// Who made the last change; nil when nobody is recorded.
        var updatedBy: String?
        /// Why this row's rotate form was refused: the row's actions open with it.
        var rotateError: String?
    }

    var frame: PageFrame
    var rows: [Row]
    var set: FormState

    static let setFields: Set<String> = ["provider", "key", "base_url"]
    /// Kept when a form is refused; the key is not.
    static let keptFields: Set<String> = ["provider", "base_url"]

    init(frame: PageFrame, keys: [Components.Schemas.KeyListing], set: FormState, rotateFailure: (provider: String, message: String)?) {
        self.frame = frame
        rows = keys.map { key in
            Row(
                provider: key.provider, active: key.active, fingerprint: key.fingerprint, keyID: key.key_id ?? "–", baseURL: key.base_url ?? "",
                headers: key.header_names.isEmpty ? nil : key.header_names.joined(separator: ", "), updated: Timestamp.text(key.updated_at),
                updatedBy: key.updated_by,
                rotateError: rotateFailure?.provider == key.provider ? rotateFailure?.message : nil)
        }
        self.set = set
    }
}

extension DashboardPages {
    func providers(_ request: Request) async throws -> Response {
        var frame = try frame("Providers", path: "/providers")
        let query = request.uri.queryParameters
        let keys = try await api.listKeys(.init()).ok.body.json.keys
        // The fingerprint is the stored key's, read here: a link cannot make the notice name another.
        if let provider = query.get("saved"), let stored = keys.first(where: { $0.provider == provider }) {
            frame.notice = "Stored the key for \(stored.provider) (fingerprint \(stored.fingerprint)). The sidecars rewrite the env file within seconds."
        }
        if let provider = query.get("deactivated") { frame.notice = "Deactivated the key for \(provider.prefix(64))." }
        return try await providersPage(frame: frame, set: FormState(), rotateFailure: nil, keys: keys)
    }

    func providersPage(
        frame: PageFrame, set: FormState, rotateFailure: (provider: String, message: String)?,
        keys listed: [Components.Schemas.KeyListing]? = nil
    ) async throws -> Response {
        let keys: [Components.Schemas.KeyListing]
        if let listed { keys = listed } else { keys = try await api.listKeys(.init()).ok.body.json.keys }
        return renderer.response(
            ProvidersPage(frame: frame, keys: keys, set: set, rotateFailure: rotateFailure), template: "providers")
    }

    func setKey(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let provider = form.text("provider") ?? ""
        do {
            let result = try await api.setKey(
                .init(path: .init(provider: provider), body: .json(.init(key: form["key"] ?? "", base_url: form.text("base_url")))))
            _ = try result.ok
            return PageRenderer.redirect("/providers?saved=\(PageQuery.escape(provider))")
        } catch {
            let failure = failure(error)
            guard failure.status == .unprocessableContent else { throw error }
            let values = form.values.filter { ProvidersPage.keptFields.contains($0.key) }
            return try await providersPage(
                frame: try frame("Providers", path: "/providers"), set: FormState(values: values, failure: failure, fields: ProvidersPage.setFields),
                rotateFailure: nil)
        }
    }

    func rotateKey(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let provider = form.text("provider") ?? ""
        do {
            let result = try await api.rotateKey(.init(path: .init(provider: provider), body: .json(.init(key: form["key"] ?? ""))))
            _ = try result.ok
            return PageRenderer.redirect("/providers?saved=\(PageQuery.escape(provider))")
        } catch {
            let failure = failure(error)
            guard failure.status == .unprocessableContent || failure.status == .notFound else { throw error }
            return try await providersPage(
                frame: try frame("Providers", path: "/providers"), set: FormState(),
                rotateFailure: (provider, failure.fields.first?.message ?? failure.message))
        }
    }

    func deactivateKey(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let provider = form.text("provider") ?? ""
        _ = try await api.deactivateKey(.init(path: .init(provider: provider)))
        return PageRenderer.redirect("/providers?deactivated=\(PageQuery.escape(provider))")
    }
}
