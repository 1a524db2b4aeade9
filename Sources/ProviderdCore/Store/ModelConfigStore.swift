/// The seed's ModelConfigService over `model_config`.
package struct ModelConfigStore {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Upserts a service's model with the seed's validation; temperature, max_tokens
    /// and updated_by change only when given.
    package func set(
        service: String, model: String, temperature: Double? = nil, maxTokens: Int? = nil,
        updatedBy: String? = nil
    ) throws {
        try Self.validateService(service)
        let model = try ModelString(model)
        if let temperature, let problem = ModelSettingsRule.temperatureProblem(temperature) {
            throw InputError("temperature", problem)
        }
        if let maxTokens, let problem = ModelSettingsRule.maxTokensProblem(maxTokens) {
            throw InputError("max_tokens", problem)
        }
        try connection.query(
            """
            INSERT INTO public.model_config (service_name, model_string, temperature, max_tokens, updated_by, updated_at)
            VALUES ($1, $2, COALESCE($3::float8, 0.7), $4::int, $5, NOW())
            ON CONFLICT (service_name) DO UPDATE SET
                model_string = EXCLUDED.model_string,
                updated_at = NOW(),
                temperature = COALESCE($3::float8, model_config.temperature),
                max_tokens = COALESCE($4::int, model_config.max_tokens),
                updated_by = COALESCE($5, model_config.updated_by)
            """, [service, model.value, temperature, maxTokens, updatedBy])
    }

    /// Configured rows, then the seed's default services that have none.
    package func all() throws -> [ServiceModel] {
        let result = try connection.query(
            """
            SELECT service_name, model_string, temperature, max_tokens, updated_by,
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated
            FROM public.model_config ORDER BY service_name
            """)
        var models = try result.rows.map { row throws(PostgresError) in
            ServiceModel(
                service: try row.string("service_name"),
                model: try row.string("model_string"),
                temperature: try row.optionalDouble("temperature") ?? ServiceDefaults.temperature,
                maxTokens: try row.optionalInt("max_tokens"),
                isDefault: false,
                updatedAt: try row.optionalString("updated"),
                updatedBy: try row.optionalString("updated_by"))
        }
        let configured = Set(models.map(\.service))
        for (service, model) in ServiceDefaults.models where !configured.contains(service) {
            models.append(
                ServiceModel(
                    service: service, model: model, temperature: ServiceDefaults.temperature,
                    maxTokens: nil, isDefault: true, updatedAt: nil, updatedBy: nil))
        }
        return models.sorted { $0.service < $1.service }
    }

    /// The seed's `bulk_update_provider`: every service (defaults included) whose
    /// model starts with `from:` moves to `to:` with the model name mapped through
    /// `modelMap` or kept, `updated_by = bulk_update`. One transaction. Returns the
    /// services changed, with their new models.
    package func bulkUpdate(from: String, to: String, modelMap: [String: String]) throws -> [(service: String, model: String)] {
        try ProviderName.validate(from)
        try ProviderName.validate(to)
        return try connection.transaction { connection in
            let store = ModelConfigStore(connection: connection)
            var changed: [(service: String, model: String)] = []
            for entry in try store.all() {
                let model = try ModelString(entry.model)
                guard model.provider == from else { continue }
                let newModel = "\(to):\(modelMap[model.modelName] ?? model.modelName)"
                try store.set(service: entry.service, model: newModel, updatedBy: "bulk_update")
                changed.append((entry.service, newModel))
            }
            return changed
        }
    }

    /// Service names: 1-256 bytes of UTF-8 without control characters.
    package static func validateService(_ service: String) throws(InputError) {
        switch ServiceName.violation(service) {
        case .length?: throw InputError("service", "must be 1 to 256 bytes")
        case .controlCharacter?: throw InputError("service", "contains control characters")
        case nil: break
        }
    }
}
