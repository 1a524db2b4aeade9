import HTTPTypes
import Logging
import ProviderdAPI
import ProviderdCore

extension ManagementAPI {
    /// `providerd models recommend`: the service's recorded tokens repriced by
    /// `ModelRecommender` (through `UsagePricer`, the flusher's pricing).
    package func getRecommendations(_ input: Operations.getRecommendations.Input) async throws -> Operations.getRecommendations.Output {
        let service = input.query.service
        try ModelConfigStore.validateService(service)
        let days = input.query.days ?? 30
        guard (1...366).contains(days) else { throw APIError.invalid(InputError("days", "must be 1 to 366 (got \(days))")) }
        if let top = input.query.top, top < 1 { throw APIError.invalid(InputError("top", "must be 1 or more (got \(top))")) }
        let (current, rows) = try await database.withConnection { connection in
            let models = try ModelConfigStore(connection: connection).all()
            guard let current = models.first(where: { $0.service == service }) else {
                throw StoreError.notFound("no service '\(service.prefix(80))' in model_config or the defaults")
            }
            return (current.model, try UsageStore(connection: connection).serviceTokens(service: service, days: days))
        }
        let unknown: UsagePricer.UnknownPolicy = settings.unknownPrice == .zero ? .zero : .seedFallback
        var report = ModelRecommender(table: prices, unknown: unknown).recommend(
            service: service, currentModel: current, rows: rows, resolutions: resolutions, models: candidateModels)
        if let top = input.query.top { report.candidates = Array(report.candidates.prefix(top)) }
        return .ok(.init(body: .json(Self.recommendation(report))))
    }

    /// The report as the document's `Recommendation`, field by field: a report
    /// names every priced model (hundreds), too large to pass through JSON twice
    /// as `GeneratedValue.convert` does. `DashboardAPITests` checks it equals the
    /// CLI's `--json`.
    static func recommendation(_ report: ModelRecommender.Report) -> Components.Schemas.Recommendation {
        Components.Schemas.Recommendation(
            service: report.service, current_model: report.currentModel, current_cost_usd: "\(report.currentCostUSD)",
            tokens: .init(
                requests: report.tokens.requests, input: report.tokens.input, output: report.tokens.output,
                cache_read: report.tokens.cacheRead, cache_write: report.tokens.cacheWrite),
            candidates: report.candidates.map { candidate in
                .init(
                    model: candidate.model, cost_usd: candidate.costText, saving_usd: "\(candidate.savingUSD)",
                    same_provider: candidate.sameProvider, other_tokenizer: candidate.otherTokenizer, tiered_estimate: candidate.tieredEstimate)
            },
            excluded: report.excluded.map { .init(model: $0.model, reason: $0.reason) }, caveats: report.caveats)
    }

    package func listSidecars(_ input: Operations.listSidecars.Input) async throws -> Operations.listSidecars.Output {
        let instances = try await database.withConnection { try InstanceRegistry(connection: $0).list() }
        return .ok(.init(body: .json(try GeneratedValue.convert(["sidecars": instances]))))
    }
}
