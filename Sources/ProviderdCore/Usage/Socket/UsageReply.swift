#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The reply lines of the usage socket, one per request line.
package enum UsageReply {
    package static let ok = Array(#"{"ok":true}"#.utf8) + [0x0A]
    package static let duplicate = Array(#"{"ok":true,"duplicate":true}"#.utf8) + [0x0A]
    package static let pong = Array(#"{"ok":true,"pong":true}"#.utf8) + [0x0A]

    package static func count(_ count: Int, duplicates: Int, exceeded: String? = nil) -> [UInt8] {
        var out = Array("{\"ok\":true,\"count\":\(count)".utf8)
        if duplicates > 0 { out += Array(",\"duplicates\":\(duplicates)".utf8) }
        if let exceeded { appendExceeded(exceeded, to: &out) }
        out += Array("}\n".utf8)
        return out
    }

    /// The ack of a record under an exceeded `block` budget: counted all the same
    /// (the money was spent), and told which budget refuses the next request.
    package static func acknowledged(duplicate: Bool, exceeded: String) -> [UInt8] {
        var out = Array(#"{"ok":true"#.utf8)
        if duplicate { out += Array(#","duplicate":true"#.utf8) }
        appendExceeded(exceeded, to: &out)
        out += Array("}\n".utf8)
        return out
    }

    private static func appendExceeded(_ name: String, to out: inout [UInt8]) {
        out += Array(#","budget":"exceeded","budget_name":"#.utf8)
        SpoolLine.appendString(name, to: &out)
    }

    /// `{"ok":true,"metrics":"<Prometheus text>"}`: one line, the text a JSON string.
    package static func metrics(_ text: String) -> [UInt8] {
        var out = Array(#"{"ok":true,"metrics":"#.utf8)
        SpoolLine.appendString(text, to: &out)
        out += Array("}\n".utf8)
        return out
    }

    /// `{"ok":true,"allowed":...,"blocked_by":[{"name","reason"}],"budgets":[...]}`,
    /// each budget as `budgets status --json` shows it. No board (budgets not
    /// wired, as in tools) allows everything.
    package static func budget(_ verdict: BudgetVerdict?) -> [UInt8] {
        var out = Array(#"{"ok":true,"allowed":"#.utf8)
        out += Array((verdict?.allowed ?? true ? "true" : "false").utf8)
        out += Array(#","blocked_by":["#.utf8)
        for (index, refusal) in (verdict?.refusals ?? []).enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(#"{"name":"#.utf8)
            SpoolLine.appendString(refusal.budget, to: &out)
            out += Array(#","reason":""#.utf8) + Array(refusal.reason.rawValue.utf8) + Array(#""}"#.utf8)
        }
        out += Array(#"],"budgets":"#.utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        out += (try? encoder.encode(verdict?.budgets ?? [])).map { Array($0) } ?? Array("[]".utf8)
        out += Array("}\n".utf8)
        return out
    }

    package static func error(_ message: String) -> [UInt8] {
        var out = Array(#"{"ok":false,"error":"#.utf8)
        SpoolLine.appendString(message, to: &out)
        out += Array("}\n".utf8)
        return out
    }

    /// `{"ok":true,"stats":{...}}` with integer counters (and `last_flush`, Unix
    /// seconds or null).
    package static func stats(_ counters: [(String, Int64?)]) -> [UInt8] {
        let fields = counters.map { "\"\($0.0)\":\($0.1.map(String.init) ?? "null")" }.joined(separator: ",")
        return Array("{\"ok\":true,\"stats\":{\(fields)}}\n".utf8)
    }
}
