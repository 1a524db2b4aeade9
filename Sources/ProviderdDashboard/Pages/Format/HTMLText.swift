/// Text made safe inside an HTML element or a quoted attribute: `&`, `<`, `>`,
/// `"` and `'` as entities, as Mustache's own escaping does. For the one piece
/// of a page built outside the templates (`UsagePage.rows`).
package enum HTMLText {
    package static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
