#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An amount of `model_usage.estimated_cost` in millionths of a dollar, exact.
/// The column is `DECIMAL(10, 6)`, so every report's cost (a sum of it) has at
/// most six places, and adding them as integers is exact and does not pay
/// Decimal's parsing: the usage page adds a year by model, 7,300 amounts, per
/// request. A text with more places, or too large, is not one: `init` fails and
/// the caller uses Decimal.
package struct Micros: Sendable, Equatable, Comparable, ExactAmount {
    package var value: Int64

    package init(value: Int64) {
        self.value = value
    }

    package static let zero = Micros(value: 0)

    /// The sum, nil past Int64 (a caller then adds as Decimal).
    package func adding(_ other: Micros) -> Micros? {
        let (sum, overflow) = value.addingReportingOverflow(other.value)
        return overflow ? nil : Micros(value: sum)
    }

    /// `"12.345678"`, `"-0.5"`, `"7"`: plain decimal text with at most 6 places.
    package init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var places = -1
        var digits = 0
        for byte in bytes {
            if byte == UInt8(ascii: ".") {
                guard places < 0 else { return nil }
                places = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            digits += 1
            if places < 0 {
                // 12 whole digits at most: 10^18 millionths fits Int64; sums are checked.
                guard whole < 100_000_000_000 else { return nil }
                whole = whole * 10 + digit
            } else {
                places += 1
                guard places <= 6 else { return nil }
                fraction = fraction * 10 + digit
            }
        }
        guard digits > 0 else { return nil }
        for _ in 0..<(6 - max(0, places)) { fraction *= 10 }
        value = (whole * 1_000_000 + fraction) * (negative ? -1 : 1)
    }

    /// Plain decimal text with six places: `12.500000`, `-0.000001`.
    package var text: String {
        let magnitude = value.magnitude
        let fraction = String(magnitude % 1_000_000)
        return (value < 0 ? "-" : "") + String(magnitude / 1_000_000) + "." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }

    package static func < (a: Micros, b: Micros) -> Bool { a.value < b.value }
}

/// An amount a usage table adds exactly: `Micros` when it can, `Decimal` when not.
package protocol ExactAmount: Comparable {
    static var zero: Self { get }
    init?(_ text: String)
    /// The sum; nil when it cannot be kept exactly.
    func adding(_ other: Self) -> Self?
    /// Plain decimal text.
    var text: String { get }
}

extension Decimal: ExactAmount {
    /// No locale: with one, Decimal asks ICU for the separator on every call.
    package init?(_ text: String) { self.init(string: text) }
    package func adding(_ other: Decimal) -> Decimal? { self + other }
    package var text: String { "\(self)" }
}
