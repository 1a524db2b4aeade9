/// One of genai-prices' match clauses, which decide whether a model reference
/// (or a provider id) names a model: `equals`, `starts_with`, `ends_with`,
/// `contains`, `regex`, `or`, `and`.
///
/// Callers pass text already lowercased, as genai-prices does; literal clause
/// values are lowercased at load. Comparison is by Unicode scalars, as Python
/// compares strings (Swift's `String ==` would treat canonically equivalent
/// spellings as equal, genai-prices does not).
package indirect enum PriceMatch: Sendable {
    case equals(String)
    case startsWith(String)
    case endsWith(String)
    case contains(String)
    /// A search anywhere in the text (Python's `re.search`), case-sensitive.
    /// Holds the pattern (checked at load); `RegexCache` compiles it where used.
    case regex(String)
    case any([PriceMatch])
    case all([PriceMatch])

    package func matches(_ lowered: String, regexes: RegexCache) -> Bool {
        switch self {
        case .equals(let value):
            return lowered.unicodeScalars.elementsEqual(value.unicodeScalars)
        case .startsWith(let value):
            return lowered.unicodeScalars.starts(with: value.unicodeScalars)
        case .endsWith(let value):
            return lowered.unicodeScalars.reversed().starts(with: value.unicodeScalars.reversed())
        case .contains(let value):
            return Self.scalars(of: lowered, contain: value)
        case .regex(let regex):
            return regexes.search(regex, in: lowered)
        case .any(let clauses):
            return clauses.contains { $0.matches(lowered, regexes: regexes) }
        case .all(let clauses):
            return clauses.allSatisfy { $0.matches(lowered, regexes: regexes) }
        }
    }

    static func scalars(of text: String, contain needle: String) -> Bool {
        let haystack = Array(text.unicodeScalars), wanted = Array(needle.unicodeScalars)
        guard !wanted.isEmpty else { return true }
        guard haystack.count >= wanted.count else { return false }
        for start in 0...(haystack.count - wanted.count) where haystack[start] == wanted[0] {
            if haystack[start..<(start + wanted.count)].elementsEqual(wanted) { return true }
        }
        return false
    }
}

/// Compiled genai-prices regular expressions (Python `re` syntax: the patterns it
/// uses, anchors, classes, `\d`, groups and lookahead, mean the same in Swift's
/// Regex), matched on Unicode scalars as Python does.
///
/// Swift's `Regex` is not `Sendable`, so the Sendable `PriceTable` keeps patterns
/// and each pricing pass owns one cache, on one thread.
package final class RegexCache {
    private var compiled: [String: Regex<AnyRegexOutput>] = [:]

    package init() {}

    /// Compiles `pattern` or says why not: the table checks every pattern at load.
    package static func compile(_ pattern: String) throws -> Regex<AnyRegexOutput> {
        try Regex(pattern).matchingSemantics(.unicodeScalar)
    }

    package func search(_ pattern: String, in text: String) -> Bool {
        let regex: Regex<AnyRegexOutput>
        if let known = compiled[pattern] {
            regex = known
        } else {
            // Checked at load: a pattern that stopped compiling matches nothing.
            guard let fresh = try? Self.compile(pattern) else { return false }
            compiled[pattern] = fresh
            regex = fresh
        }
        return (try? regex.firstMatch(in: text)) != nil
    }
}
