/// The reply lines of the usage socket, one per request line.
package enum UsageReply {
    package static let ok = Array(#"{"ok":true}"#.utf8) + [0x0A]
    package static let duplicate = Array(#"{"ok":true,"duplicate":true}"#.utf8) + [0x0A]
    package static let pong = Array(#"{"ok":true,"pong":true}"#.utf8) + [0x0A]

    package static func count(_ count: Int, duplicates: Int) -> [UInt8] {
        let extra = duplicates > 0 ? ",\"duplicates\":\(duplicates)" : ""
        return Array("{\"ok\":true,\"count\":\(count)\(extra)}\n".utf8)
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
