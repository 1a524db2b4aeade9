/// Which provider writes which env variable, in the file's order, and which
/// providers lose a name conflict.
///
/// None of this depends on the values, only on their shape: the providers rendered,
/// in order, whether each has a base URL and headers, and which a budget withholds.
/// A key change keeps every shape, so `ConfigRenderer` lays out a thousand
/// providers once and afterwards only looks their values up, instead of claiming,
/// checking and sorting every name again on the path an agent waits on.
struct EnvLayout: Sendable {
    /// What decides a provider's lines, short of the values.
    struct Shape: Sendable, Equatable {
        var provider: String
        var hasBaseURL: Bool
        var hasHeaders: Bool
        /// An exceeded `withhold_key` budget keeps this provider out of the file.
        var withheld: Bool
    }

    enum Field: Sendable {
        /// The key, under `ownKeyNames + aliasKeyNames`[index].
        case key(Int)
        case baseURL, headers
    }

    /// One line of the env file: its variable, and where its value comes from (an
    /// index into the shapes the layout was made from, and which of that provider's values).
    struct Line: Sendable {
        var name: String
        var index: Int
        var field: Field
    }

    /// The shapes this layout was made from, in provider order.
    let shapes: [Shape]
    /// The env lines, sorted by variable name.
    let lines: [Line]
    /// Providers that claim one of their own names that another provider also
    /// claims (e.g. `foo-bar` and `foo_bar`): neither gets it, and both are left out.
    let conflicted: Set<String>
    let conflicts: [ProviderProblem]
    /// Providers that write at least one line.
    let providersWithLines: Set<String>

    /// `names[i]` are `shapes[i].provider`'s names under the renderer's table.
    init(shapes: [Shape], names: [EnvNameTable.Names]) {
        self.shapes = shapes
        // A name's first claimant, and every claimant of a name claimed twice.
        var owners: [String: String] = [:]
        owners.reserveCapacity(shapes.count * 2)
        var shared: [String: [String]] = [:]
        for (shape, names) in zip(shapes, names) {
            for name in Self.ownNames(shape, names) {
                if let first = owners.updateValue(shape.provider, forKey: name) {
                    owners[name] = first
                    shared[name, default: [first]].append(shape.provider)
                }
            }
        }
        var conflicted: Set<String> = []
        var conflicts: [ProviderProblem] = []
        for (name, claimants) in shared {
            for provider in claimants.sorted() where conflicted.insert(provider).inserted {
                let others = claimants.filter { $0 != provider }.sorted().joined(separator: ", ")
                conflicts.append(ProviderProblem(provider: provider, reason: "its variable \(name) is also claimed by \(others)"))
            }
        }
        self.conflicted = conflicted
        self.conflicts = conflicts

        // Each name goes to the claimant with the lowest priority (own names 0,
        // aliases 1); between equals, the first in provider order.
        var claims: [String: (priority: Int, line: Line)] = [:]
        claims.reserveCapacity(shapes.count * 2)
        func claim(_ name: String, _ index: Int, _ priority: Int, _ field: Field) {
            if let existing = claims[name], existing.priority <= priority { return }
            claims[name] = (priority, Line(name: name, index: index, field: field))
        }
        for (index, (shape, names)) in zip(shapes, names).enumerated()
        where !shape.withheld && !conflicted.contains(shape.provider) {
            for (n, name) in names.ownKeyNames.enumerated() { claim(name, index, 0, .key(n)) }
            for (n, name) in names.aliasKeyNames.enumerated() { claim(name, index, 1, .key(names.ownKeyNames.count + n)) }
            if shape.hasBaseURL { claim(names.baseURLName, index, 0, .baseURL) }
            if shape.hasHeaders { claim(names.headersName, index, 0, .headers) }
        }
        lines = claims.keys.sorted().map { claims[$0]!.line }
        providersWithLines = Set(claims.values.map { shapes[$0.line.index].provider })
    }

    /// The names only this provider may have: its key names, and its base URL and
    /// headers names when it has those values (aliases may be shared).
    private static func ownNames(_ shape: Shape, _ names: EnvNameTable.Names) -> [String] {
        var result = names.ownKeyNames
        if shape.hasBaseURL { result.append(names.baseURLName) }
        if shape.hasHeaders { result.append(names.headersName) }
        return result
    }
}
