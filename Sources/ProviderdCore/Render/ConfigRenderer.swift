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
        didSet { names = [:] }
    }
    /// Each provider's names under `table`, worked out once (a render of a
    /// thousand providers would otherwise derive a thousand names again).
    private var names: [String: Result<EnvNameTable.Names, EnvNameError>] = [:]
    /// Each provider's values as last quoted.
    private var quotedValues: [String: (secrets: ProviderSecrets, quoted: Quoted)] = [:]
    /// The providers' and the variable names' order at the last render.
    private var providerOrder = KeyOrder()
    private var nameOrder = KeyOrder()
    /// The values each provider last rendered with. Sealed into the state directory.
    package private(set) var lastGood: [String: ProviderSecrets]
    /// Each service's last written entry, for a row that stops being writable.
    package private(set) var lastGoodServices: [String: ModelMapEntry] = [:]

    package init(table: EnvNameTable, lastGood: [String: ProviderSecrets] = [:]) {
        self.table = table
        self.lastGood = lastGood
    }

    /// A provider whose values go into this render.
    struct Accepted {
        var secrets: ProviderSecrets
        var names: EnvNameTable.Names
        var quoted: Quoted
    }

    struct Claim {
        var provider: String
        var priority: Int
        var value: String
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
        // In provider order; a provider that loses a name conflict is dropped below.
        var accepted: [Accepted] = []
        accepted.reserveCapacity(candidates.count)

        for provider in providerOrder.sorted(candidates) {
            var chosen: ProviderSecrets?
            switch candidates[provider]! {
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
                    accepted.append(Accepted(secrets: secrets, names: names, quoted: try quoted(secrets)))
                    continue
                } catch {
                    problems.append(ProviderProblem(provider: provider, reason: error.reason))
                }
            }
            if let previous = lastGood[provider], let quoted = try? Quoted(previous) {
                accepted.append(Accepted(secrets: previous, names: names, quoted: quoted))
                stale.append(provider)
            }
        }

        // Two providers claiming the same own name (e.g. foo-bar and foo_bar): neither gets it.
        var owners: [String: [String]] = [:]
        owners.reserveCapacity(accepted.count * 2)
        for entry in accepted {
            for name in ownNames(entry.names, entry.secrets) { owners[name, default: []].append(entry.secrets.provider) }
        }
        var conflicted: Set<String> = []
        for (name, claimants) in owners where claimants.count > 1 {
            for provider in claimants.sorted() where conflicted.insert(provider).inserted {
                let others = claimants.filter { $0 != provider }.sorted().joined(separator: ", ")
                problems.append(ProviderProblem(provider: provider, reason: "its variable \(name) is also claimed by \(others)"))
            }
        }
        if !conflicted.isEmpty { accepted.removeAll { conflicted.contains($0.secrets.provider) } }

        var claims: [String: Claim] = [:]
        claims.reserveCapacity(accepted.count * 2)
        func claim(_ name: String, _ provider: String, _ priority: Int, _ value: String) {
            if let existing = claims[name], existing.priority <= priority { return }
            claims[name] = Claim(provider: provider, priority: priority, value: value)
        }
        var lastGood: [String: ProviderSecrets] = [:]
        lastGood.reserveCapacity(accepted.count)
        var withheld: [String: String] = [:]
        for entry in accepted {
            let provider = entry.secrets.provider
            if let budget = budgets.withholder(of: provider) {
                withheld[provider] = budget
                lastGood[provider] = entry.secrets
                continue
            }
            for name in entry.names.ownKeyNames { claim(name, provider, 0, entry.quoted.apiKey) }
            for name in entry.names.aliasKeyNames { claim(name, provider, 1, entry.quoted.apiKey) }
            if let url = entry.quoted.baseURL { claim(entry.names.baseURLName, provider, 0, url) }
            if let headers = entry.quoted.headers { claim(entry.names.headersName, provider, 0, headers) }
            lastGood[provider] = entry.secrets
        }
        self.lastGood = lastGood
        if names.count > candidates.count { names = names.filter { candidates[$0.key] != nil } }
        if quotedValues.count > candidates.count { quotedValues = quotedValues.filter { candidates[$0.key] != nil } }

        let lines = nameOrder.sorted(claims).map { "\($0)=\(claims[$0]!.value)" }
        let withKeys = Set(claims.values.map(\.provider))
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

    /// `secrets` quoted for the env file, reusing the last quoting of the same values
    /// (a key change re-quotes one provider, not a thousand).
    private mutating func quoted(_ secrets: ProviderSecrets) throws(ProviderProblem) -> Quoted {
        if let known = quotedValues[secrets.provider], known.secrets == secrets { return known.quoted }
        let quoted = try Quoted(secrets)
        quotedValues[secrets.provider] = (secrets, quoted)
        return quoted
    }

    private mutating func names(for provider: String) throws(EnvNameError) -> EnvNameTable.Names {
        if let known = names[provider] { return try known.get() }
        let result = Result { () throws(EnvNameError) in try table.names(for: provider) }
        names[provider] = result
        return try result.get()
    }

    private func ownNames(_ names: EnvNameTable.Names, _ secrets: ProviderSecrets) -> [String] {
        var result = names.ownKeyNames
        if secrets.baseURL != nil { result.append(names.baseURLName) }
        if secrets.headers != nil { result.append(names.headersName) }
        return result
    }

    /// A provider's values, each already quoted for the env file.
    struct Quoted {
        var apiKey: String
        var baseURL: String?
        var headers: String?

        init(_ secrets: ProviderSecrets) throws(ProviderProblem) {
            func quote(_ value: String, _ what: String) throws(ProviderProblem) -> String {
                do {
                    return try EnvValueQuoting.quote(value)
                } catch {
                    throw ProviderProblem(provider: secrets.provider, reason: "\(what) \(error.reason)")
                }
            }
            apiKey = try quote(secrets.apiKey, "key")
            baseURL = try secrets.baseURL.map { v throws(ProviderProblem) in try quote(v, "base URL") }
            headers = try secrets.headers.map { v throws(ProviderProblem) in try quote(v, "headers") }
        }
    }
}
