import HTTPTypes
import Logging
import ProviderdAPI
import ProviderdCore

extension ManagementAPI {
    package func listModels(_ input: Operations.listModels.Input) async throws -> Operations.listModels.Output {
        let models = try await database.withConnection { try ModelConfigStore(connection: $0).all() }
        return .ok(.init(body: .json(try GeneratedValue.convert(["services": models]))))
    }

    /// `providerd models set`, with the same validation; `updated_by` is the caller.
    package func setModel(_ input: Operations.setModel.Input) async throws -> Operations.setModel.Output {
        guard case .json(let body) = input.body else { throw APIError(.unprocessableContent, "invalid", "a JSON body is required") }
        let service = input.path.service
        let user = try caller.user
        try await database.withConnection { connection in
            try ModelConfigStore(connection: connection).set(
                service: service, model: body.model, temperature: body.temperature, maxTokens: body.max_tokens, updatedBy: user)
        }
        try logWrite("models.set", "\(service) -> \(body.model)")
        return .ok(.init(body: .json(.init(service: service, model: body.model))))
    }

    /// `providerd models bulk-update`: one transaction, `updated_by = bulk_update` as the seed has it.
    package func bulkUpdateModels(_ input: Operations.bulkUpdateModels.Input) async throws -> Operations.bulkUpdateModels.Output {
        guard case .json(let body) = input.body else { throw APIError(.unprocessableContent, "invalid", "a JSON body is required") }
        let map = body.map?.additionalProperties ?? [:]
        for (old, new) in map where old.isEmpty || new.isEmpty {
            throw APIError.invalid(InputError("map", "model names must not be empty"))
        }
        let changed = try await database.withConnection { connection in
            try ModelConfigStore(connection: connection).bulkUpdate(from: body.from, to: body.to, modelMap: map)
                .map { Components.Schemas.ModelChange(service: $0.service, model: $0.model) }
        }
        try logWrite("models.bulk_update", "\(body.from) -> \(body.to): \(changed.count) service(s)")
        return .ok(.init(body: .json(.init(updated: changed.count, services: changed))))
    }
}
