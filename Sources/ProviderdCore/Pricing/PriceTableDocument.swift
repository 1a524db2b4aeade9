#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The shape of `etc/prices.json` (written by `scripts/update-prices`), decoded
/// and turned into `PriceTable`'s model with every value checked: decimals that
/// parse and are not negative, tiers with whole starts, regexes that compile,
/// dates and times that exist, fallback providers that are in the file.
struct PriceTableDocument: Decodable {
    struct Source: Decodable {
        var package: String
        var version: String
        var generated: String
    }

    struct Provider: Decodable {
        var id: String
        var provider_match: Clause?
        var fallback: [String]?
        var local: Bool?
        var models: [Model]
    }

    struct Model: Decodable {
        var id: String
        var match: Clause
        var prices: Prices
        var origin: String?
    }

    indirect enum Clause: Decodable {
        case equals(String)
        case startsWith(String)
        case endsWith(String)
        case contains(String)
        case regex(String)
        case any([Clause])
        case all([Clause])

        enum Key: String, CodingKey {
            case equals, starts_with, ends_with, contains, regex, or, and
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            guard container.allKeys.count == 1, let key = container.allKeys.first else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "a match clause has exactly one of equals, starts_with, ends_with, contains, regex, or, and"))
            }
            switch key {
            case .equals: self = .equals(try container.decode(String.self, forKey: key))
            case .starts_with: self = .startsWith(try container.decode(String.self, forKey: key))
            case .ends_with: self = .endsWith(try container.decode(String.self, forKey: key))
            case .contains: self = .contains(try container.decode(String.self, forKey: key))
            case .regex: self = .regex(try container.decode(String.self, forKey: key))
            case .or: self = .any(try container.decode([Clause].self, forKey: key))
            case .and: self = .all(try container.decode([Clause].self, forKey: key))
            }
        }
    }

    enum Prices: Decodable {
        case always(PriceSet)
        case conditional([PriceSet])

        init(from decoder: any Decoder) throws {
            if var list = try? decoder.unkeyedContainer() {
                var sets: [PriceSet] = []
                while !list.isAtEnd { sets.append(try list.decode(PriceSet.self)) }
                self = .conditional(sets)
            } else {
                self = .always(try PriceSet(from: decoder))
            }
        }
    }

    /// One price set; `when` only inside a conditional list.
    struct PriceSet: Decodable {
        var when: Condition?
        var input_mtok: Value?
        var output_mtok: Value?
        var cache_read_mtok: Value?
        var cache_write_mtok: Value?
        var requests_kcount: Value?
    }

    struct Condition: Decodable {
        var start_date: String?
        var start_time: String?
        var end_time: String?
    }

    enum Value: Decodable {
        case flat(String)
        case tiered(base: String, tiers: [Tier])

        struct Tier: Decodable {
            var start: Int64
            var price: String
        }

        enum Key: String, CodingKey { case base, tiers }

        init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .flat(text)
            } else if let container = try? decoder.container(keyedBy: Key.self) {
                self = .tiered(
                    base: try container.decode(String.self, forKey: .base),
                    tiers: try container.decode([Tier].self, forKey: .tiers))
            } else {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "a price is a decimal string such as \"2.5\" (not a JSON number) or {\"base\": ..., \"tiers\": [...]}"))
            }
        }
    }

    var source: Source
    var aliases: [String: String]
    var providers: [Provider]
}

extension PriceTableDocument {
    /// Checks every value and builds the table's providers (in file order, which
    /// decides matching as in genai-prices).
    func providerTables(origin: String) throws -> [PriceTable.Provider] {
        func fail(_ message: String) -> PriceTableError { PriceTableError(origin: origin, message) }
        let ids = Set(providers.map(\.id))
        return try providers.enumerated().map { index, provider in
            let place = "providers[\(index)] (\(provider.id))"
            for fallback in provider.fallback ?? [] where !ids.contains(fallback) {
                throw fail("\(place): fallback provider '\(fallback)' is not in the file")
            }
            let models = try provider.models.enumerated().map { modelIndex, model in
                let at = "\(place).models[\(modelIndex)] (\(model.id))"
                return PriceTable.Model(
                    id: model.id,
                    match: try model.match.built(at: "\(at).match", fail: fail),
                    schedule: try model.prices.built(at: "\(at).prices", fail: fail),
                    fromSeed: model.origin == "seed")
            }
            return PriceTable.Provider(
                id: provider.id,
                providerMatch: try provider.provider_match?.built(at: "\(place).provider_match", fail: fail),
                fallback: provider.fallback ?? [],
                isLocal: provider.local ?? false,
                models: models)
        }
    }
}

extension PriceTableDocument.Clause {
    func built(at place: String, fail: (String) -> PriceTableError) throws -> PriceMatch {
        switch self {
        case .equals(let value): return .equals(value.lowercased())
        case .startsWith(let value): return .startsWith(value.lowercased())
        case .endsWith(let value): return .endsWith(value.lowercased())
        case .contains(let value): return .contains(value.lowercased())
        case .regex(let pattern):
            do {
                _ = try RegexCache.compile(pattern)
            } catch {
                throw fail("\(place): regex '\(pattern)' does not compile: \(error)")
            }
            return .regex(pattern)
        case .any(let clauses):
            return .any(try clauses.enumerated().map { try $1.built(at: "\(place).or[\($0)]", fail: fail) })
        case .all(let clauses):
            return .all(try clauses.enumerated().map { try $1.built(at: "\(place).and[\($0)]", fail: fail) })
        }
    }
}

extension PriceTableDocument.Prices {
    func built(at place: String, fail: (String) -> PriceTableError) throws -> PriceSchedule {
        switch self {
        case .always(let set):
            guard set.when == nil else { throw fail("\(place): 'when' belongs in a list of conditional prices") }
            return PriceSchedule(always: try set.rates(at: place, fail: fail))
        case .conditional(let sets):
            guard !sets.isEmpty else { throw fail("\(place): an empty list of prices") }
            return PriceSchedule(
                entries: try sets.enumerated().map { index, set in
                    let at = "\(place)[\(index)]"
                    return PriceSchedule.Entry(
                        condition: try set.when?.built(at: "\(at).when", fail: fail),
                        rates: try set.rates(at: at, fail: fail))
                })
        }
    }
}

extension PriceTableDocument.PriceSet {
    func rates(at place: String, fail: (String) -> PriceTableError) throws -> PriceRates {
        func value(_ value: PriceTableDocument.Value?, _ key: String) throws -> PriceRates.Value? {
            guard let value else { return nil }
            func decimal(_ text: String, _ at: String) throws -> Decimal {
                guard let number = PriceTable.decimal(text), number >= 0 else {
                    throw fail("\(place).\(at): '\(text)' is not a non-negative decimal")
                }
                return number
            }
            switch value {
            case .flat(let text):
                return .flat(try decimal(text, key))
            case .tiered(let base, let tiers):
                let built = try tiers.enumerated().map { index, tier in
                    guard tier.start >= 0 else { throw fail("\(place).\(key).tiers[\(index)].start: must not be negative") }
                    return PriceRates.Tier(start: tier.start, price: try decimal(tier.price, "\(key).tiers[\(index)].price"))
                }
                return .tiered(base: try decimal(base, "\(key).base"), tiers: built.sorted { $0.start < $1.start })
            }
        }
        return PriceRates(
            input: try value(input_mtok, "input_mtok"), output: try value(output_mtok, "output_mtok"),
            cacheRead: try value(cache_read_mtok, "cache_read_mtok"),
            cacheWrite: try value(cache_write_mtok, "cache_write_mtok"),
            requestsPerThousand: try value(requests_kcount, "requests_kcount"))
    }
}

extension PriceTableDocument.Condition {
    func built(at place: String, fail: (String) -> PriceTableError) throws -> PriceSchedule.Condition {
        if let date = start_date, start_time == nil, end_time == nil {
            guard let seconds = RFC3339.unixSeconds("\(date)T00:00:00Z") else {
                throw fail("\(place).start_date: '\(date)' is not a date (YYYY-MM-DD)")
            }
            return .from(seconds)
        }
        if start_date == nil, let start = start_time, let end = end_time {
            guard let from = Self.secondOfDay(start) else { throw fail("\(place).start_time: '\(start)' is not HH:MM:SS (UTC)") }
            guard let to = Self.secondOfDay(end) else { throw fail("\(place).end_time: '\(end)' is not HH:MM:SS (UTC)") }
            return .dailyWindow(start: from, end: to)
        }
        throw fail("\(place): a condition is either start_date, or start_time with end_time")
    }

    static func secondOfDay(_ text: String) -> Int64? {
        guard let seconds = RFC3339.unixSeconds("1970-01-01T\(text)Z"), seconds < 86_400 else { return nil }
        return seconds
    }
}
