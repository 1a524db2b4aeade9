#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// URL-safe base64 (RFC 4648 §5) as Python's `base64.urlsafe_b64encode` writes it,
/// padding included. Decoding is strict: only the URL-safe alphabet, with `=`
/// padding either complete or absent.
///
/// Foundation's standard-alphabet codec does the work; only `+/` and `-_` are
/// swapped, byte by byte (every token of a render passes through here).
package enum Base64URL {
    package static func encode(_ bytes: [UInt8]) -> String {
        var text = [UInt8](Data(bytes).base64EncodedData())
        for index in text.indices {
            if text[index] == UInt8(ascii: "+") {
                text[index] = UInt8(ascii: "-")
            } else if text[index] == UInt8(ascii: "/") {
                text[index] = UInt8(ascii: "_")
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        var body = text.utf8[...]
        while body.last == UInt8(ascii: "=") { body.removeLast() }
        let padding = text.utf8.count - body.count
        guard padding <= 2 else { return nil }
        var standard = [UInt8]()
        standard.reserveCapacity(body.count + 3)
        for character in body {
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.append(character)
            case UInt8(ascii: "-"): standard.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): standard.append(UInt8(ascii: "/"))
            default: return nil
            }
        }
        let remainder = standard.count % 4
        if remainder == 1 { return nil }
        if padding > 0 && (standard.count + padding) % 4 != 0 { return nil }
        if remainder != 0 { standard += repeatElement(UInt8(ascii: "="), count: 4 - remainder) }
        guard let data = Data(base64Encoded: Data(standard)) else { return nil }
        return [UInt8](data)
    }

    static func decode(_ text: String) -> [UInt8]? { decode(text[...]) }

    /// One of the 64 URL-safe characters (no padding).
    package static func isAlphabet(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
