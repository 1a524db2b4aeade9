/// An RFC 3339 UTC time (`2026-12-07T03:48:46Z`) as the pages show it:
/// `2026-12-07 03:48 UTC`. Anything else is shown as it is.
package enum Timestamp {
    package static func text(_ rfc3339: String?) -> String {
        guard let value = rfc3339, value.count >= 16, value.hasSuffix("Z") else { return rfc3339 ?? "–" }
        let characters = Array(value)
        guard characters[10] == "T" else { return value }
        return String(characters[0..<10]) + " " + String(characters[11..<16]) + " UTC"
    }
}
