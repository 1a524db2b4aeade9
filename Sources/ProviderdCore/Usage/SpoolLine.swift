import Foundation

/// A usage record as one line of a spool segment: compact JSON with every field
/// explicit and the timestamp resolved to Unix seconds, so that a flush after a
/// restart prices and dates the record exactly as it was accepted.
public enum SpoolLine {
    /// `acceptedAt` (Unix seconds) is kept with an id, so that the idempotency
    /// window survives restarts.
    public static func encode(_ record: UsageRecord, timestamp: Int64, acceptedAt: Int64 = 0) -> [UInt8] {
        var out: [UInt8] = []
        encode(record, timestamp: timestamp, acceptedAt: acceptedAt, into: &out)
        return out
    }

    /// Appends the line to `out` (the intake's hot path: no temporary arrays).
    public static func encode(_ record: UsageRecord, timestamp: Int64, acceptedAt: Int64, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"s":"#.utf8)
        appendString(record.serviceName, to: &out)
        out.append(contentsOf: #","m":"#.utf8)
        appendString(record.modelString, to: &out)
        appendField(",\"i\":", record.inputTokens, to: &out)
        appendField(",\"o\":", record.outputTokens, to: &out)
        appendField(",\"cr\":", record.cacheReadTokens, to: &out)
        appendField(",\"cw\":", record.cacheWriteTokens, to: &out)
        appendField(",\"n\":", record.requestCount, to: &out)
        appendField(",\"t\":", timestamp, to: &out)
        if let id = record.id {
            out.append(contentsOf: #","id":"#.utf8)
            appendString(id, to: &out)
            appendField(",\"a\":", acceptedAt, to: &out)
        }
        out.append(contentsOf: "}\n".utf8)
    }

    @inline(__always)
    static func appendField(_ name: StaticString, _ value: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value.magnitude
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while n > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: buffer[(20 - count)...])
        }
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
        // Fast path: nothing to escape.
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
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
