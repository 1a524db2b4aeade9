#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A budget as an operator gives it (`budgets set`, and the management API),
/// checked field by field before anything is written. Each error names the field
/// and the rule; the provider of a `provider:` scope is checked against the
/// database by `BudgetStore.set`, which knows which providers exist.
package struct BudgetInput: Sendable, Equatable {
    package var name: String
    package var scope: BudgetScope
    package var period: BudgetPeriod
    package var limit: Decimal
    package var thresholds: [Decimal]
    package var action: BudgetAction
    package var isActive: Bool

    package static let maxThresholds = 16

    /// `thresholds` nil keeps the defaults (0.5, 0.8, 0.9, 1); `action` nil is `alert`.
    package init(
        name: String, scope: String, period: String, limit: String, thresholds: String? = nil, action: String? = nil,
        isActive: Bool = true
    ) throws(InputError) {
        guard Self.isValidName(name) else {
            throw InputError("name", "'\(name.prefix(80))' must be 1 to 64 of A-Z a-z 0-9 _ . - and start with a letter or digit")
        }
        self.name = name
        self.scope = try BudgetScope(scope)
        guard let period = BudgetPeriod(rawValue: period) else {
            throw InputError("period", "'\(period.prefix(40))' is not a period: use day, week or month (UTC)")
        }
        self.period = period
        self.limit = try Self.amount(limit)
        self.thresholds = try thresholds.map(Self.thresholds) ?? Budget.defaultThresholds
        let action = action ?? BudgetAction.alert.rawValue
        guard let parsed = BudgetAction(rawValue: action) else {
            throw InputError("action", "'\(action.prefix(40))' is not an action: use alert, block or withhold_key")
        }
        guard parsed.isAllowed(for: self.scope) else {
            throw InputError(
                "action", "withhold_key needs a provider:NAME or global scope (a key belongs to a provider, not to \(self.scope))")
        }
        self.action = parsed
        self.isActive = isActive
    }

    package static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        return alnum(bytes[0]) && bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// A limit in US dollars: plain decimal notation, more than 0, at most
    /// 1,000,000,000,000 and 12 decimal places.
    static func amount(_ text: String) throws(InputError) -> Decimal {
        if text.hasPrefix("-"), PriceTable.decimal(String(text.dropFirst())) != nil {
            throw InputError("limit", "must be more than 0 (got \(text))")
        }
        guard let value = PriceTable.decimal(text) else {
            throw InputError("limit", "'\(text.prefix(40))' is not an amount in USD: use plain decimal notation, e.g. 100 or 2.50")
        }
        guard value > 0 else { throw InputError("limit", "must be more than 0 (got \(text))") }
        guard value <= 1_000_000_000_000 else { throw InputError("limit", "must be at most 1000000000000") }
        if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].count > 12 {
            throw InputError("limit", "at most 12 decimal places")
        }
        return value
    }

    /// Comma-separated fractions of the limit, each in (0, 10], at most 16, no
    /// repeats; returned ascending.
    static func thresholds(_ text: String) throws(InputError) -> [Decimal] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0.trimmingWhitespace()) }
        guard !parts.isEmpty, parts.count <= maxThresholds else {
            throw InputError("thresholds", "give 1 to \(maxThresholds) comma-separated fractions of the limit, e.g. 0.5,0.8,1")
        }
        var values: [Decimal] = []
        for part in parts {
            guard let value = PriceTable.decimal(part) else {
                throw InputError("thresholds", "'\(part.prefix(40))' is not a decimal fraction of the limit (e.g. 0.8)")
            }
            guard value > 0, value <= 10 else {
                throw InputError("thresholds", "\(part) is outside (0, 10]: a threshold is a fraction of the limit, 1 being the limit itself")
            }
            guard !values.contains(value) else { throw InputError("thresholds", "\(part) is given twice") }
            values.append(value)
        }
        return values.sorted()
    }
}
