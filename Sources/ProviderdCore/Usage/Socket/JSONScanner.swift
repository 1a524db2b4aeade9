/// A strict single-pass reader of JSON (RFC 8259) over raw bytes, for the usage
/// socket's hot path: UTF-8 is validated, numbers are kept as their text, and
/// nesting is bounded. Foundation's JSON decoders are the oracle in the tests;
/// this exists because they are several times slower on one small record.
struct JSONScanner: ~Copyable {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(UsageLineError) {
        skipWhitespace()
        guard peek == byte else { throw UsageLineError("invalid JSON: expected \(what) at byte \(index)") }
        index += 1
    }

    /// Consumes `byte` if it comes next (after whitespace): an empty object's or
    /// array's closing bracket, or the comma between members.
    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// After a member of an object or an element of an array: true when a ','
    /// follows (consumed), false after `closing` (consumed); anything else is an
    /// error naming `expected`.
    mutating func anotherFollows(closing: UInt8, _ expected: String) throws(UsageLineError) -> Bool {
        if take(UInt8(ascii: ",")) { return true }
        try expect(closing, expected)
        return false
    }

    /// A JSON number's text, checked against the grammar; `integer` says whether it
    /// had no fraction and no exponent.
    mutating func number() throws(UsageLineError) -> (text: Substring, integer: Bool, negative: Bool) {
        let start = index
        var integer = true
        let negative = peek == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = peek, isDigit(first) else { throw UsageLineError("invalid JSON: bad number at byte \(start)") }
        index += 1
        if first != UInt8(ascii: "0") {
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if peek == UInt8(ascii: ".") {
            integer = false
            index += 1
            guard let byte = peek, isDigit(byte) else { throw UsageLineError("invalid JSON: bad number at byte \(start)") }
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            integer = false
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard let byte = peek, isDigit(byte) else { throw UsageLineError("invalid JSON: bad number at byte \(start)") }
            while let byte = peek, isDigit(byte) { index += 1 }
        }
        let text = Substring(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        return (text, integer, negative)
    }

    /// A string without escapes whose bytes are plain ASCII (the usual key), as
    /// its raw bytes, consumed; nil (nothing consumed) for any other string.
    mutating func plainString() throws(UsageLineError) -> UnsafeBufferPointer<UInt8>? {
        guard peek == UInt8(ascii: "\"") else { throw UsageLineError("invalid JSON: expected a string at byte \(index)") }
        var scan = index + 1
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[(index + 1)..<scan])
                index = scan + 1
                return raw
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            scan += 1
        }
        return nil
    }

    /// A JSON string (the opening quote is next), unescaped and UTF-8 checked.
    mutating func string() throws(UsageLineError) -> String {
        let start = index
        guard peek == UInt8(ascii: "\"") else { throw UsageLineError("invalid JSON: expected a string at byte \(index)") }
        index += 1
        // Fast path: no escapes; plain ASCII needs no UTF-8 check.
        var scan = index
        var ascii = true
        while scan < bytes.count {
            let byte = bytes[scan]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeBufferPointer(rebasing: bytes[index..<scan])
                let text: String
                if ascii {
                    text = String(decoding: raw, as: UTF8.self)
                } else {
                    guard let valid = String(validating: raw, as: UTF8.self) else {
                        throw UsageLineError("invalid UTF-8 in a string at byte \(start)")
                    }
                    text = valid
                }
                index = scan + 1
                return text
            }
            ascii = ascii && byte < 0x80
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 { throw UsageLineError("invalid JSON: control character in a string at byte \(scan)") }
            scan += 1
        }
        guard scan < bytes.count else { throw UsageLineError("invalid JSON: unterminated string at byte \(start)") }
        var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[index..<scan]))
        index = scan
        while true {
            guard let byte = peek else { throw UsageLineError("invalid JSON: unterminated string at byte \(start)") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else {
                    throw UsageLineError("invalid UTF-8 in a string at byte \(start)")
                }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = peek else { throw UsageLineError("invalid JSON: unterminated string at byte \(start)") }
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard peek == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                            throw UsageLineError("invalid JSON: lone surrogate \\u escape at byte \(index)")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else {
                            throw UsageLineError("invalid JSON: lone surrogate \\u escape at byte \(index)")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw UsageLineError("invalid JSON: lone surrogate \\u escape at byte \(index)")
                    }
                    out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw UsageLineError("invalid JSON: bad escape in a string at byte \(index - 1)")
                }
            default:
                if byte < 0x20 { throw UsageLineError("invalid JSON: control character in a string at byte \(index - 1)") }
                out.append(byte)
            }
        }
    }

    private mutating func hex4() throws(UsageLineError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw UsageLineError("invalid JSON: bad \\u escape at byte \(index)") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw UsageLineError("invalid JSON: bad \\u escape at byte \(index)")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Skips any value (for fields providerd ignores), checking it all the same.
    mutating func skipValue(depth: Int) throws(UsageLineError) {
        guard depth <= UsageLimits.maxDepth else {
            throw UsageLineError("JSON nested deeper than \(UsageLimits.maxDepth) levels")
        }
        skipWhitespace()
        guard let byte = peek else { throw UsageLineError("invalid JSON: unexpected end of line") }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            if take(UInt8(ascii: "}")) { return }
            while true {
                skipWhitespace()
                _ = try string()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
                guard try anotherFollows(closing: UInt8(ascii: "}"), "',' or '}'") else { return }
            }
        case UInt8(ascii: "["):
            index += 1
            if take(UInt8(ascii: "]")) { return }
            while true {
                try skipValue(depth: depth + 1)
                guard try anotherFollows(closing: UInt8(ascii: "]"), "',' or ']'") else { return }
            }
        case UInt8(ascii: "\""):
            _ = try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            _ = try number()
        }
    }

    mutating func literal(_ word: StaticString) throws(UsageLineError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw UsageLineError("invalid JSON at byte \(index)") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw UsageLineError("invalid JSON at byte \(index)")
        }
        index += count
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
