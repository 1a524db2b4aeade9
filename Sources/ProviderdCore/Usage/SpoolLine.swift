import Foundation

/// A usage record as one line of a spool segment: compact JSON with every field
/// explicit and the timestamp resolved to Unix seconds, so that a flush after a
/// restart prices and dates the record exactly as it was accepted.
public enum SpoolLine {
    /// `acceptedAt` (Unix seconds) is kept with an id, so that the idempotency
    /// window survives restarts.
    public static func encode(_ record: UsageRecord, timestamp: Int64, acceptedAt: Int64 = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + record.serviceName.utf8.count + record.modelString.utf8.count)
        out += Array(#"{"s":"#.utf8)
        appendString(record.serviceName, to: &out)
        out += Array(#","m":"#.utf8)
        appendString(record.modelString, to: &out)
        out += Array(",\"i\":\(record.inputTokens),\"o\":\(record.outputTokens),\"cr\":\(record.cacheReadTokens),\"cw\":\(record.cacheWriteTokens),\"n\":\(record.requestCount),\"t\":\(timestamp)".utf8)
        if let id = record.id {
            out += Array(#","id":"#.utf8)
            appendString(id, to: &out)
            out += Array(",\"a\":\(acceptedAt)".utf8)
        }
        out += Array("}\n".utf8)
        return out
    }

    struct Stored: Decodable {
        let s: String
        let m: String
        let i: Int64
        let o: Int64
        let cr: Int64
        let cw: Int64
        let n: Int64
        let t: Int64
        let id: String?
        let a: Int64?
    }

    /// A spooled record and its resolved timestamp; nil for a line that is not one
    /// (a torn last line after a crash: never acknowledged, so safely dropped).
    public static func decode(_ line: some Collection<UInt8>) -> (record: UsageRecord, timestamp: Int64)? {
        decodeWithAcceptance(line).map { ($0.record, $0.timestamp) }
    }

    static func decodeWithAcceptance(_ line: some Collection<UInt8>) -> (record: UsageRecord, timestamp: Int64, acceptedAt: Int64)? {
        guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(line)) else { return nil }
        var record = UsageRecord(serviceName: stored.s, modelString: stored.m)
        record.inputTokens = stored.i
        record.outputTokens = stored.o
        record.cacheReadTokens = stored.cr
        record.cacheWriteTokens = stored.cw
        record.requestCount = stored.n
        record.timestamp = stored.t
        record.id = stored.id
        return (record, stored.t, stored.a ?? stored.t)
    }

    /// JSON string literal; only `"`, `\` and control characters need escapes.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
