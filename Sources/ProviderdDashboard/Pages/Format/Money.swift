// Foundation, not FoundationEssentials: the rounding (NSDecimalRound) is there.
import Foundation

/// US dollars as a page shows them: `$1,234.57`, and a sub-cent amount with
/// enough places to be seen (`$0.0042`) rather than as `$0.00`. The exact
/// decimal stays in the page's data (`data-v`), never rounded.
package enum Money {
    package static func text(_ usd: String) -> String {
        guard let value = Decimal(string: usd, locale: Locale(identifier: "en_US_POSIX")) else { return usd }
        return text(value)
    }

    package static func text(_ value: Decimal) -> String {
        let magnitude = value < 0 ? -value : value
        let places = magnitude == 0 || magnitude >= Decimal(string: "0.01")! ? 2 : 4
        var rounded = Decimal()
        var source = magnitude
        NSDecimalRound(&rounded, &source, places, .plain)
        let plain = "\(rounded)"
        let parts = plain.split(separator: ".", maxSplits: 1)
        let whole = String(parts[0])
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        fraction += String(repeating: "0", count: max(0, places - fraction.count))
        return (value < 0 ? "−$" : "$") + grouped(whole) + "." + fraction
    }

    /// `1234567` as `1,234,567`.
    static func grouped(_ digits: String) -> String {
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// A count with thousands separators.
    package static func count(_ value: Int64) -> String { (value < 0 ? "-" : "") + grouped(String(value.magnitude)) }
}
