import HTTPTypes
import Logging
import ProviderdAPI
import ProviderdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ManagementAPI {
    package func listBudgets(_ input: Operations.listBudgets.Input) async throws -> Operations.listBudgets.Output {
        let budgets = try await database.withConnection { try BudgetStore(connection: $0).all() }
        return .ok(.init(body: .json(try GeneratedValue.convert(["budgets": budgets]))))
    }

    package func budgetStatus(_ input: Operations.budgetStatus.Input) async throws -> Operations.budgetStatus.Output {
        let now = Int64(UTCTimestamp.now())
        let statuses = try await database.withConnection { try BudgetStore(connection: $0).statuses(now: now) }
        return .ok(.init(body: .json(try GeneratedValue.convert(["budgets": statuses]))))
    }

    package func budgetEvents(_ input: Operations.budgetEvents.Input) async throws -> Operations.budgetEvents.Output {
        let limit = input.query.limit ?? 100
        guard (1...1_000).contains(limit) else { throw APIError.invalid(InputError("limit", "must be 1 to 1000 (got \(limit))")) }
        if let name = input.query.name, !BudgetInput.isValidName(name) {
            throw APIError.invalid(InputError("name", "'\(name.prefix(80))' is not a budget name"))
        }
        let name = input.query.name
        let events = try await database.withConnection { try BudgetStore(connection: $0).events(name: name, limit: limit) }
        return .ok(.init(body: .json(try GeneratedValue.convert(["events": events]))))
    }

    /// `providerd budgets set`: `BudgetInput` checks every field as the CLI does;
    /// `updated_by` is the caller.
    package func setBudget(_ input: Operations.setBudget.Input) async throws -> Operations.setBudget.Output {
        guard case .json(let body) = input.body else { throw APIError(.unprocessableContent, "invalid", "a JSON body is required") }
        let name = input.path.name
        let budget = try await renamingFields(["limit": "limit_usd"]) {
            if let thresholds = body.thresholds, let bad = thresholds.first(where: { $0.contains(",") }) {
                throw InputError("thresholds", "'\(bad.prefix(40))' is not one fraction (give each as its own array item)")
            }
            return try BudgetInput(
                name: name, scope: body.scope, period: body.period, limit: body.limit_usd, thresholds: body.thresholds?.joined(separator: ","),
                action: body.action, isActive: body.is_active ?? true)
        }
        let user = try caller.user
        let now = Int64(UTCTimestamp.now())
        let outcome = try await database.withConnection { try BudgetStore(connection: $0).set(budget, updatedBy: user, now: now) }
        try logWrite("budgets.set", "\(name): \(budget.scope) \(budget.period.rawValue) \(budget.limit) USD, \(budget.action.rawValue)")
        struct Report: Encodable {
            let created: Bool
            let rearmed: [Decimal]
            let budget: BudgetStatus
        }
        return .ok(.init(body: .json(try GeneratedValue.convert(Report(created: outcome.created, rearmed: outcome.rearmed, budget: outcome.status)))))
    }

    package func deleteBudget(_ input: Operations.deleteBudget.Input) async throws -> Operations.deleteBudget.Output {
        let name = input.path.name
        guard BudgetInput.isValidName(name) else { throw APIError.invalid(InputError("name", "'\(name.prefix(80))' is not a budget name")) }
        try await database.withConnection { try BudgetStore(connection: $0).delete(name: name) }
        try logWrite("budgets.delete", name)
        return .noContent(.init())
    }
}
