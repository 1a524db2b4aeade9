#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Turns decrypted rows into the env file and the model map, keeping each
/// provider's last good values: a row that stops decrypting, or a value no env
/// line can carry, leaves that provider as it was while the others update. A
/// deactivated or deleted row leaves the output.
///
/// A plain value type: no I/O, so every rule is tested without a database.
package struct ConfigRenderer: Sendable {
    package var table: EnvNameTable {
        didSet {
            names = [:]
            prepared = [:]
            layout = nil
        }
    }
    /// Each provider's names under `table`, worked out once (a render of a
    /// thousand providers would otherwise derive a thousand names again).
    private var names: [String: Result<EnvNameTable.Names, EnvNameError>] = [:]
    /// Each provider's values as last made ready for the env file.
    private var prepared: [String: RenderedProvider] = [:]
    /// The providers' order at the last render.
    private var providerOrder = KeyOrder()
    /// Which provider wrote which variable at the last render.
    private var layout: EnvLayout?
    /// The values each provider last rendered with. Sealed into the state directory.
    package private(set) var lastGood: [String: ProviderSecrets]
    /// Each service's last written entry, for a row that stops being writable.
    package private(set) var lastGoodServices: [String: ModelMapEntry] = [:]

    package init(table: EnvNameTable, lastGood: [String: ProviderSecrets] = [:]) {
        self.table = table
        self.lastGood = lastGood
    }

    /// `budgets`: keys an exceeded `withhold_key` budget withholds stay out of the
    /// env file (and in `lastGood`, so they come back when the period turns), and
    /// each service's entry carries its budget state.
    package mutating func render(
        candidates: [String: Result<ProviderSecrets, ProviderProblem>],
        services: [ServiceConfig], budgets: BudgetRenderView = BudgetRenderView()
    ) -> RenderResult {
        var problems: [ProviderProblem] = []
        var stale: [String] = []
        // In provider order; a provider that loses a name conflict is left out by the layout.
        var accepted: [RenderedProvider] = []
        accepted.reserveCapacity(candidates.count)

        for provider in providerOrder.sorted(candidates) {
            let candidate = candidates[provider]!
            // A key change leaves all providers but one here: same values, same lines.
            if case .success(let secrets) = candidate, let known = prepared[provider], known.secrets == secrets {
                accepted.append(known)
                continue
            }
            var chosen: ProviderSecrets?
            switch candidate {
            case .success(let secrets):
                chosen = secrets
            case .failure(let problem):
                problems.append(problem)
            }
            // Names first: a provider whose names cannot be used has no fallback.
            let names: EnvNameTable.Names
            do {
                names = try self.names(for: provider)
            } catch {
                problems.append(ProviderProblem(provider: error.provider, reason: error.message))
                continue
            }
            if let secrets = chosen {
                do {
                    let ready = try RenderedProvider(secrets, names: names)
                    prepared[provider] = ready
                    accepted.append(ready)
                    continue
                } catch {
                    problems.append(ProviderProblem(provider: provider, reason: error.reason))
                }
            }
            if let previous = lastGood[provider], let ready = try? RenderedProvider(previous, names: names) {
                accepted.append(ready)
                stale.append(provider)
            }
        }

        let shapes = accepted.map {
            EnvLayout.Shape(
                provider: $0.secrets.provider, hasBaseURL: $0.baseURLLine != nil, hasHeaders: $0.headersLine != nil,
                withheld: budgets.withholder(of: $0.secrets.provider) != nil)
        }
        if layout?.shapes != shapes { layout = EnvLayout(shapes: shapes, names: accepted.map(\.names)) }
        let layout = self.layout!
        problems += layout.conflicts

        var lines: [String] = []
        lines.reserveCapacity(layout.lines.count)
        for line in layout.lines { lines.append(accepted[line.index].line(line.field)) }
        var lastGood: [String: ProviderSecrets] = [:]
        lastGood.reserveCapacity(accepted.count)
        var withheld: [String: String] = [:]
        for (entry, shape) in zip(accepted, shapes) where !layout.conflicted.contains(shape.provider) {
            lastGood[shape.provider] = entry.secrets
            if shape.withheld { withheld[shape.provider] = budgets.withholder(of: shape.provider) }
        }
        self.lastGood = lastGood
        if names.count > candidates.count { names = names.filter { candidates[$0.key] != nil } }
        if prepared.count > candidates.count { prepared = prepared.filter { candidates[$0.key] != nil } }

        let withKeys = layout.providersWithLines
        var unwritable: [ServiceProblem] = []
        var entries = ModelMapEntry.entries(for: services, providersWithKeys: withKeys, unwritable: &unwritable)
        for problem in unwritable {
            if let previous = lastGoodServices[problem.service] { entries[problem.service] = previous }
        }
        lastGoodServices = entries
        if !budgets.entries.isEmpty {
            for (service, entry) in entries { entries[service]?.budget = budgets.state(service: service, model: entry.model) }
        }
        return RenderResult(
            envLines: lines,
            services: entries,
            problems: problems.sorted { ($0.provider, $0.reason) < ($1.provider, $1.reason) },
            staleProviders: stale.sorted(),
            providersWithKeys: withKeys,
            serviceProblems: unwritable.sorted { $0.service < $1.service },
            withheldProviders: withheld)
    }

    private mutating func names(for provider: String) throws(EnvNameError) -> EnvNameTable.Names {
        if let known = names[provider] { return try known.get() }
        let result = Result { () throws(EnvNameError) in try table.names(for: provider) }
        names[provider] = result
        return try result.get()
    }
}
