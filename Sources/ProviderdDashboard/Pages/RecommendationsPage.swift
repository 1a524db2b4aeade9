import HTTPTypes
import Hummingbird
import ProviderdAPI
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// For a chosen service and period: the service's recorded tokens repriced at
/// each cheaper model's list price (`ModelRecommender`, through the API), the
/// saving, and the caveats. The page shows the 20 cheapest; the API has all.
struct RecommendationsPage: Sendable {
    struct Option: Sendable {
        var value: String
        var label: String
        var selected: Bool
    }

    struct Candidate: Sendable {
        var model: String
        var cost: String
        var exactCost: String
        var saving: String
        var notes: String
    }

    static let shown = 20

    var frame: PageFrame
    var services: [Option]
    var periods: [Option]
    var chosen: Bool
    var service: String
    var currentModel: String
    var currentCost: String
    var requests: String
    var inputTokens: String
    var outputTokens: String
    var cacheTokens: String
    var candidates: [Candidate]
    var noCandidates: Bool
    /// Models that could not be priced for these tokens; nil when none.
    var excluded: Int?
    var caveats: [String]
    var days: Int
    var shown = RecommendationsPage.shown

    init(frame: PageFrame, services: [String], service: String?, days: Int, report: Components.Schemas.Recommendation?) {
        self.frame = frame
        self.services = services.map { Option(value: $0, label: $0, selected: $0 == service) }
        periods = [7, 30, 90, 365].map { Option(value: String($0), label: "\($0) days", selected: $0 == days) }
        self.days = days
        chosen = report != nil
        self.service = report?.service ?? ""
        currentModel = report?.current_model ?? ""
        currentCost = Money.text(report?.current_cost_usd ?? "0")
        requests = Money.count(report?.tokens.requests ?? 0)
        inputTokens = Money.count(report?.tokens.input ?? 0)
        outputTokens = Money.count(report?.tokens.output ?? 0)
        cacheTokens = Money.count((report?.tokens.cache_read ?? 0) + (report?.tokens.cache_write ?? 0))
        // Only the cheaper ones: the list is sorted by cost, so they come first.
        let cheaper = (report?.candidates ?? []).prefix(Self.shown).filter { (Decimal($0.saving_usd) ?? 0) > 0 }
        candidates = cheaper.map { candidate in
            var notes: [String] = []
            notes.append(candidate.same_provider ? "same provider" : "other provider")
            if candidate.other_tokenizer { notes.append("other tokenizer: token counts differ") }
            if candidate.tiered_estimate { notes.append("tiered price, estimated") }
            return Candidate(
                model: candidate.model, cost: Money.text(candidate.cost_usd), exactCost: candidate.cost_usd, saving: Money.text(candidate.saving_usd),
                notes: notes.joined(separator: "; "))
        }
        noCandidates = report != nil && candidates.isEmpty
        excluded = report.flatMap { $0.excluded.isEmpty ? nil : $0.excluded.count }
        caveats = report?.caveats ?? []
    }
}

extension DashboardPages {
    func recommendations(_ request: Request) async throws -> Response {
        var frame = try frame("Recommendations", path: "/recommendations")
        let query = request.uri.queryParameters
        // The services for the form, read while the report is made.
        async let services = api.listModels(.init()).ok.body.json.services.map(\.service)
        let days = query.get("days").flatMap { Int($0) } ?? 30
        let service = query.get("service").flatMap { $0.isEmpty ? nil : $0 }
        var report: Components.Schemas.Recommendation?
        if let service {
            do {
                report = try await api.getRecommendations(.init(query: .init(service: service, days: days, top: RecommendationsPage.shown))).ok.body.json
            } catch {
                let failure = failure(error)
                guard failure.status == .unprocessableContent || failure.status == .notFound else { throw error }
                frame.error = failure.message
            }
        }
        let page = RecommendationsPage(frame: frame, services: try await services, service: service, days: days, report: report)
        return renderer.response(page, template: "recommendations")
    }
}
