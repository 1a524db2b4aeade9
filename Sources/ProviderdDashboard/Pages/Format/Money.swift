#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// US dollars as a page shows them: `$1,234.57`, and a sub-cent amount with
/// enough places to be seen (`$0.0042`) rather than as `$0.00`. Rounded half
/// away from zero on the decimal's own digits (a year's usage table formats
/// thousands of them per page, so no Decimal arithmetic); the exact decimal stays
/// in the page's data (`data-v`).
package enum Money {
    package static func text(_ usd: String) -> String {
        var bytes = Array(usd.utf8)[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        let point = bytes.firstIndex(of: UInt8(ascii: "."))
        let whole = point.map { bytes[..<$0] } ?? bytes
        let fraction = point.map { bytes[bytes.index(after: $0)...] } ?? []
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard !(whole.isEmpty && fraction.isEmpty), whole.allSatisfy(isDigit), fraction.allSatisfy(isDigit) else { return usd }
        let zero = UInt8(ascii: "0")
        let isZero = whole.allSatisfy { $0 == zero } && fraction.allSatisfy { $0 == zero }
        let belowCent = whole.allSatisfy { $0 == zero } && fraction.prefix(2).allSatisfy { $0 == zero }
        let places = !isZero && belowCent ? 4 : 2
        // The digits kept, then one added at the last place when the next is 5 or more.
        var digits = Array(whole.isEmpty ? [zero] : Array(whole))
        digits += fraction.prefix(places)
        digits += Array(repeating: zero, count: places - min(places, fraction.count))
        if fraction.count > places, fraction[fraction.index(fraction.startIndex, offsetBy: places)] >= UInt8(ascii: "5") {
            var index = digits.count - 1
            while index >= 0 {
                if digits[index] == UInt8(ascii: "9") {
                    digits[index] = zero
                    index -= 1
                } else {
                    digits[index] += 1
                    break
                }
            }
            if index < 0 { digits.insert(UInt8(ascii: "1"), at: 0) }
        }
        var integer = digits.dropLast(places)
        while integer.count > 1, integer.first == zero { integer = integer.dropFirst() }
        let shown = String(decoding: digits.suffix(places), as: UTF8.self)
        let allZero = digits.allSatisfy { $0 == zero }
        return (negative && !allZero ? "−$" : "$") + grouped(String(decoding: integer, as: UTF8.self)) + "." + shown
    }

    package static func text(_ value: Decimal) -> String { text("\(value)") }

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
