import Foundation

/// URL-safe base64 (RFC 4648 §5) as Python's `base64.urlsafe_b64encode` writes it,
/// padding included. Decoding is strict: only the URL-safe alphabet, with `=`
/// padding either complete or absent.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return text
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        var body = text
        while body.last == "=" { body.removeLast() }
        let padding = text.count - body.count
        guard padding <= 2 else { return nil }
        var standard = ""
        standard.reserveCapacity(body.count + 3)
        for character in body.utf8 {
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                standard.unicodeScalars.append(Unicode.Scalar(character))
            case UInt8(ascii: "-"): standard.append("+")
            case UInt8(ascii: "_"): standard.append("/")
            default: return nil
            }
        }
        let remainder = standard.count % 4
        if remainder == 1 { return nil }
        if padding > 0 && (standard.count + padding) % 4 != 0 { return nil }
        if remainder != 0 { standard += String(repeating: "=", count: 4 - remainder) }
        guard let data = Data(base64Encoded: standard) else { return nil }
        return [UInt8](data)
    }

    static func decode(_ text: String) -> [UInt8]? { decode(text[...]) }
}
