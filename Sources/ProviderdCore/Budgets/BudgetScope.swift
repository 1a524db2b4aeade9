/// What a budget counts: all usage, one service's, one provider's (the part of
/// the model string before the first `:`), or one model's. Written as the
/// `budgets.scope` column holds it: `global`, `service:<name>`,
/// `provider:<name>`, `model:<provider:model>`. Migration 003's
/// `providerd_budget_matches` is the database's copy of `applies`.
package enum BudgetScope: Sendable, Hashable, CustomStringConvertible {
    case global
    case service(String)
    case provider(String)
    case model(String)

    /// Parses and checks a scope: the service and model parts meet the rules
    /// `models set` and the usage socket apply.
    package init(_ text: String) throws(InputError) {
        if text == "global" {
            self = .global
            return
        }
        guard let (kind, value) = ModelString.split(text), !value.isEmpty else {
            throw InputError(
                "scope", "'\(text.prefix(100))' is not a scope: use global, service:NAME, provider:NAME or model:PROVIDER:MODEL")
        }
        switch kind {
        case "service":
            guard ServiceName.violation(value) == nil else {
                throw InputError("scope", "the service name must be 1 to \(ServiceName.maxBytes) bytes without control characters")
            }
            self = .service(value)
        case "provider":
            guard ProviderName.isValid(value) else {
                throw InputError("scope", "provider '\(value.prefix(80))' does not match ^[a-z][a-z0-9_-]{0,63}$")
            }
            self = .provider(value)
        case "model":
            guard ModelString.isUsable(value), value.utf8.count <= 256 else {
                throw InputError("scope", "'\(value.prefix(100))' is not a model string: use model:PROVIDER:MODEL, e.g. model:openai:gpt-4o")
            }
            self = .model(value)
        default:
            throw InputError(
                "scope", "unknown scope kind '\(kind.prefix(40))': use global, service:NAME, provider:NAME or model:PROVIDER:MODEL")
        }
    }

    /// Whether usage of `service` with `model` counts toward this scope.
    package func applies(service: String, model: String) -> Bool {
        switch self {
        case .global: return true
        case .service(let name): return service == name
        case .provider(let name): return (ModelString.split(model)?.provider ?? model) == name
        case .model(let value): return model == value
        }
    }

    /// The provider whose key a `withhold_key` budget withholds; nil for all of them
    /// (global) or for scopes that cannot withhold.
    package var provider: String? {
        if case .provider(let name) = self { return name }
        return nil
    }

    package var description: String {
        switch self {
        case .global: return "global"
        case .service(let name): return "service:\(name)"
        case .provider(let name): return "provider:\(name)"
        case .model(let value): return "model:\(value)"
        }
    }
}
