import HTTPTypes
import Hummingbird
import ProviderdAPI
import ProviderdCore

/// Each service's model, temperature and max tokens, the seed's defaults
/// marked; one service's form (reached from its row's Edit link) and the
/// bulk update. A refused form comes back with the CLI's error beside its field.
struct ModelsPage: Sendable {
    struct Row: Sendable {
        var service: String
        var model: String
        var temperature: String
        var maxTokens: String
        var isDefault: Bool
        var updated: String
        /// Who made the last change; nil when nobody is recorded.
        var updatedBy: String?
        var editHref: String
    }

    var frame: PageFrame
    var rows: [Row]
    var services: [String]
    var edit: FormState
    var bulk: FormState

    static let editFields: Set<String> = ["service", "model", "temperature", "max_tokens"]
    static let bulkFields: Set<String> = ["from", "to"]

    init(frame: PageFrame, models: [Components.Schemas.ServiceModel], edit: FormState, bulk: FormState) {
        self.frame = frame
        rows = models.map { model in
            Row(
                service: model.service, model: model.model, temperature: BudgetBar.number(model.temperature),
                maxTokens: model.max_tokens.map { Money.count(Int64($0)) } ?? "–", isDefault: model._default,
                updated: Timestamp.text(model.updated_at), updatedBy: model.updated_by,
                editHref: "/models?service=\(PageQuery.escape(model.service))#edit")
        }
        services = models.map(\.service)
        self.edit = edit
        self.bulk = bulk
    }
}

extension DashboardPages {
    func models(_ request: Request) async throws -> Response {
        var frame = try frame("Models", path: "/models")
        let query = request.uri.queryParameters
        if let saved = query.get("saved") { frame.notice = "Saved \(saved.prefix(256)). The sidecars rewrite models.json within seconds." }
        if let moved = query.get("moved") { frame.notice = "Bulk update: \(moved.prefix(12)) service(s) changed." }
        var edit = FormState()
        if let service = query.get("service") {
            let models = try await api.listModels(.init()).ok.body.json.services
            if let row = models.first(where: { $0.service == service }) {
                edit.values = [
                    "service": row.service, "model": row.model, "temperature": BudgetBar.number(row.temperature),
                    "max_tokens": row.max_tokens.map(String.init) ?? "",
                ]
            }
        }
        return try await modelsPage(frame: frame, edit: edit, bulk: FormState())
    }

    func modelsPage(frame: PageFrame, edit: FormState, bulk: FormState) async throws -> Response {
        let models = try await api.listModels(.init()).ok.body.json.services
        return renderer.response(ModelsPage(frame: frame, models: models, edit: edit, bulk: bulk), template: "models")
    }

    func setModel(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let values = form.values.filter { ModelsPage.editFields.contains($0.key) }
        do {
            let service = form.text("service") ?? ""
            let temperature = try form.text("temperature").map { text -> Double in
                guard let value = Double(text), value.isFinite else { throw InputError("temperature", "'\(text.prefix(40))' is not a number") }
                return value
            }
            let maxTokens = try form.text("max_tokens").map { text -> Int in
                guard let value = Int(text) else { throw InputError("max_tokens", "'\(text.prefix(40))' is not a whole number") }
                return value
            }
            try ModelConfigStore.validateService(service)
            _ = try await api.setModel(
                .init(path: .init(service: service), body: .json(.init(model: form.text("model") ?? "", temperature: temperature, max_tokens: maxTokens))))
            return PageRenderer.redirect("/models?saved=\(PageQuery.escape(service))")
        } catch {
            let failure = failure(error)
            guard failure.status == .unprocessableContent else { throw error }
            return try await modelsPage(
                frame: try frame("Models", path: "/models"), edit: FormState(values: values, failure: failure, fields: ModelsPage.editFields),
                bulk: FormState())
        }
    }

    func bulkUpdate(_ request: Request) async throws -> Response {
        let form = try await PageForm(request)
        let values = form.values.filter { ModelsPage.bulkFields.contains($0.key) }
        do {
            let result = try await api.bulkUpdateModels(.init(body: .json(.init(from: form.text("from") ?? "", to: form.text("to") ?? ""))))
            return PageRenderer.redirect("/models?moved=\(try result.ok.body.json.updated)")
        } catch {
            let failure = failure(error)
            guard failure.status == .unprocessableContent else { throw error }
            return try await modelsPage(
                frame: try frame("Models", path: "/models"), edit: FormState(),
                bulk: FormState(values: values, failure: failure, fields: ModelsPage.bulkFields))
        }
    }
}
