/// The one rule for control characters, which no stored or rendered string may
/// hold (service names, model strings, ids, keys, URLs, header values, env values):
/// Unicode category Cc, that is U+0000–U+001F, U+007F and U+0080–U+009F.
///
/// Byte-level, so the usage parser can apply it to every record without making
/// scalars: C0 and DEL are single bytes in UTF-8, and C1 is encoded as C2 80–9F.
package enum ControlCharacters {
    /// The first control character in valid UTF-8, or nil.
    @inlinable
    package static func first(inUTF8 bytes: some Sequence<UInt8>) -> Unicode.Scalar? {
        var previous: UInt8 = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return Unicode.Scalar(byte) }
            if previous == 0xC2 && byte >= 0x80 && byte <= 0x9F { return Unicode.Scalar(byte) }
            previous = byte
        }
        return nil
    }

    @inlinable
    package static func contains(_ text: some StringProtocol) -> Bool {
        first(inUTF8: text.utf8) != nil
    }

    package static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// "U+000A": how error messages name a character (never the value around it).
    package static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
