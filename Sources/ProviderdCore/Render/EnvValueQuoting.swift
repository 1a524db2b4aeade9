/// Writes one value so that systemd's `EnvironmentFile=`, POSIX `sh`
/// (`set -a; . file`), bash `source` and python-dotenv (with and without
/// interpolation) all read back exactly the stored value.
///
/// - Only `A-Z a-z 0-9 _ @ % + = : , . / -`: written bare.
/// - No `'` and no `\`: single quotes (carry `$`, backticks, `"`, spaces, `#`).
/// - No `$` and no backtick: double quotes with `\` and `"` escaped.
/// - Anything else no single line carries to all readers and is refused: `$` or a
///   backtick together with `'` or `\`; `${` (python-dotenv interpolates it even
///   in single quotes); NUL, newline and other control characters.
package enum EnvValueQuoting {
    package struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        /// Names the offending characters, never the value.
        package let reason: String
        package var description: String { reason }
    }

    package static func quote(_ value: String) throws(Refusal) -> String {
        var hasDollar = false, hasBacktick = false, hasSingle = false, hasBackslash = false
        var bare = true
        var previousWasDollar = false
        for scalar in value.unicodeScalars {
            switch scalar {
            case "$":
                hasDollar = true
            case "`":
                hasBacktick = true
            case "'":
                hasSingle = true
            case "\\":
                hasBackslash = true
            case "{" where previousWasDollar:
                throw Refusal(reason: "contains '${', which python-dotenv expands even inside quotes")
            default:
                if ControlCharacters.isControl(scalar) {
                    let name =
                        scalar.value == 0
                        ? "NUL"
                        : scalar.value == 0x0A
                            ? "newline"
                            : scalar.value == 0x0D
                                ? "carriage return"
                                : "control character " + ControlCharacters.codePoint(scalar)
                    throw Refusal(reason: "contains \(name), which no env file line can carry")
                }
            }
            previousWasDollar = scalar == "$"
            if bare && !isBareSafe(scalar) { bare = false }
        }
        if bare { return value }
        if !hasSingle && !hasBackslash { return "'" + value + "'" }
        if !hasDollar && !hasBacktick {
            // By scalars, not characters: a backslash before a combining mark is one
            // Character with it, and would escape nothing (found by fuzzing).
            var escaped = String.UnicodeScalarView()
            for scalar in value.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { escaped.append("\\") }
                escaped.append(scalar)
            }
            return "\"" + String(escaped) + "\""
        }
        let expansion = [hasDollar ? "'$'" : nil, hasBacktick ? "a backtick" : nil].compactMap { $0 }.joined(separator: " and ")
        let quoteChars = [hasSingle ? "a single quote" : nil, hasBackslash ? "a backslash" : nil].compactMap { $0 }.joined(separator: " and ")
        throw Refusal(reason: "contains \(expansion) together with \(quoteChars); no quoting carries both to every reader")
    }

    /// The readers' model this file is written for: what every reader (systemd,
    /// `sh`, bash, python-dotenv) takes from one value as `quote` writes it, or nil
    /// for text no rule above produces. Fuzzing checks `read(quote(v)) == v`.
    package static func read(_ written: String) -> String? {
        let scalars = Array(written.unicodeScalars)
        if scalars.allSatisfy(isBareSafe) { return written }  // `NAME=` reads as the empty string
        guard scalars.count >= 2, let first = scalars.first, first == scalars.last else { return nil }
        let inner = scalars[1..<(scalars.count - 1)]
        switch first {
        case "'":
            // Single quotes: everything literal; no quote, no backslash inside.
            guard !inner.contains("'"), !inner.contains("\\") else { return nil }
            return String(String.UnicodeScalarView(inner))
        case "\"":
            // Double quotes: `\\` and `\"` are escapes; `$` and backticks would expand.
            var out = String.UnicodeScalarView()
            var escaped = false
            for scalar in inner {
                if escaped {
                    guard scalar == "\\" || scalar == "\"" else { return nil }
                    out.append(scalar)
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else {
                    guard scalar != "\"", scalar != "$", scalar != "`" else { return nil }
                    out.append(scalar)
                }
            }
            return escaped ? nil : String(out)
        default:
            return nil
        }
    }

    static func isBareSafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "@", "%", "+", "=", ":", ",", ".", "/", "-": return true
        default: return false
        }
    }
}
