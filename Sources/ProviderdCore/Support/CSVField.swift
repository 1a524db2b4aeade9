/// One text field of a CSV export, safe to open in a spreadsheet: always quoted
/// (RFC 4180, quotes doubled), and a value that a spreadsheet would run as a
/// formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'` (OWASP's advice for
/// CSV injection). Service and model names come from agents, so they count as
/// hostile.
package enum CSVField {
    package static func text(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        var out = "\""
        for character in value {
            if character == "\"" { out += "\"\"" } else { out.append(character) }
        }
        return out + "\""
    }
}
